// Templates page (/templates, operators): a session's message templates, listed, created, edited
// and deleted (/api/sessions/:id/templates); `{{name}}` placeholders are filled in at send time.

import { api, isSignedOut, path } from './api.js';
import { t, tn } from './i18n.js';
import * as sessionStore from './store.js';
import {
  confirmDialog, el, field, fillSessionPicker, pageHead, reportError, sessionPicker, showErrors, timeEl, toast,
  withBusy,
} from './ui.js';

/** The placeholder names a template uses, in order of first use. */
export function placeholders(...parts) {
  const names = [];
  for (const part of parts) {
    for (const m of String(part || '').matchAll(/\{\{([^}]*)\}\}/g)) {
      const key = m[1].trim();
      if (!names.includes(key)) names.push(key);
    }
  }
  return names;
}

export function mount(root) {
  let disposed = false;
  let editing = null;
  let seq = 0;

  const sessionSelect = sessionPicker({ id: 'template-session', name: 'session' });
  const actionsHead = t('Actions');
  const tbody = el('tbody');
  const table = el(
    'table',
    { id: 'templates-table', class: 'data-table responsive' },
    el('caption', { class: 'visually-hidden' }, t('Templates of the selected session')),
    el('thead', null, el('tr', null, [t('Name'), t('Text'), t('Placeholders'), t('Changed'), actionsHead].map((h) => el('th', { scope: 'col', class: h === actionsHead ? 'col-actions' : null }, h)))),
    tbody,
  );
  const summary = el('p', { id: 'templates-summary', class: 'card-sub', role: 'status' });

  const formTitle = el('h2', { id: 'template-form-title' }, t('New template'));
  const name = el('input', { id: 'template-name', type: 'text', autocomplete: 'off', required: true, maxLength: 100, placeholder: 'order-shipped' });
  const header = el('input', { id: 'template-header', type: 'text', autocomplete: 'off', maxLength: 1024 });
  const body = el('textarea', { id: 'template-body', required: true, maxLength: 4096, rows: 5, placeholder: t('Hello {{name}}, your order {{order}} is on its way.') });
  const footer = el('input', { id: 'template-footer', type: 'text', autocomplete: 'off', maxLength: 1024 });
  const found = el('p', { id: 'template-placeholders', class: 'hint', 'aria-live': 'polite' });
  const submit = el('button', { type: 'submit', class: 'btn btn-primary' }, t('Save template'));
  const cancel = el('button', { type: 'button', class: 'btn btn-ghost', hidden: true, on: { click: () => edit(null) } }, t('Cancel'));
  const errors = el('div', { id: 'template-errors', class: 'form-errors', role: 'alert', hidden: true });
  const form = el(
    'form',
    { id: 'template-form', class: 'form', novalidate: true, 'aria-labelledby': 'template-form-title' },
    field(t('Name'), name, t('Unique in the session; send-template can name it.')),
    field(t('Header'), header, t('Optional: sent above the text.')),
    field(t('Text'), body, t('Use {{placeholder}} for what changes from one message to the next.')),
    field(t('Footer'), footer, t('Optional: sent below the text.')),
    found,
    errors,
    el('div', { class: 'form-actions' }, submit, cancel),
  );
  const showFound = () => {
    const names = placeholders(header.value, body.value, footer.value);
    found.textContent = names.length ? t('Placeholders: {names}', { names: names.join(', ') }) : t('No placeholders.');
  };
  for (const input of [header, body, footer]) input.addEventListener('input', showFound);
  showFound();

  root.append(
    pageHead(t('Templates'), t('Texts you send again and again, with placeholders filled in at send time (messages/send-template, and send-bulk).')),
    el('div', { class: 'card' }, field(t('Session'), sessionSelect)),
    el('section', { class: 'card', 'aria-labelledby': 'template-form-title' }, el('div', { class: 'card-head' }, formTitle), form),
    el(
      'section',
      { class: 'card card-flush', 'aria-labelledby': 'templates-title' },
      el('div', { class: 'card-head' }, el('div', null, el('h2', { id: 'templates-title' }, t('Templates')), summary)),
      el('div', { class: 'table-wrap' }, table),
    ),
  );

  function edit(template) {
    editing = template;
    formTitle.textContent = template ? t('Edit “{name}”', { name: template.name }) : t('New template');
    cancel.hidden = !template;
    name.value = template ? template.name : '';
    header.value = template ? template.header || '' : '';
    body.value = template ? template.body : '';
    footer.value = template ? template.footer || '' : '';
    showErrors(errors, null);
    showFound();
    if (template) name.focus();
  }

  function row(tpl) {
    const editButton = el('button', { type: 'button', class: 'btn btn-sm', dataset: { action: 'edit' }, 'aria-label': t('Edit {name}', { name: tpl.name }), on: { click: () => edit(tpl) } }, t('Edit'));
    const deleteButton = el('button', { type: 'button', class: 'btn btn-sm btn-danger-text', dataset: { action: 'delete' }, 'aria-label': t('Delete {name}', { name: tpl.name }) }, t('Delete'));
    deleteButton.addEventListener('click', async () => {
      const ok = await confirmDialog({
        title: t('Delete template?'),
        message: t('Delete the template “{name}”? Sends that name it will be refused.', { name: tpl.name }),
        confirmLabel: t('Delete template'),
      });
      if (!ok) return;
      await withBusy(deleteButton, async () => {
        try {
          await api.del(path`/api/sessions/${tpl.sessionId}/templates/${tpl.id}`);
          if (editing && editing.id === tpl.id) edit(null);
          toast(t('Template “{name}” deleted.', { name: tpl.name }), 'success');
          load();
        } catch (err) {
          reportError(err, t('Could not delete the template'));
        }
      });
    });
    const names = placeholders(tpl.header, tpl.body, tpl.footer);
    return el(
      'tr',
      { dataset: { templateId: tpl.id } },
      el('td', { class: 'cell-title', 'data-label': t('Name') }, tpl.name),
      el('td', { 'data-label': t('Text') }, el('span', { class: 'template-text' }, tpl.body)),
      el('td', { 'data-label': t('Placeholders') }, names.length ? names.join(', ') : '—'),
      el('td', { 'data-label': t('Changed') }, timeEl(tpl.updatedAt)),
      el('td', { class: 'col-actions', 'data-label': actionsHead }, el('div', { class: 'actions' }, editButton, deleteButton)),
    );
  }

  async function load() {
    const id = sessionSelect.value;
    const mine = ++seq;
    if (!id) {
      tbody.replaceChildren();
      summary.textContent = t('Create a session first: templates belong to a session.');
      submit.disabled = true;
      return;
    }
    submit.disabled = false;
    try {
      const list = await api.get(path`/api/sessions/${id}/templates`);
      if (disposed || mine !== seq) return;
      tbody.replaceChildren(...list.map(row));
      summary.textContent = list.length ? tn(list.length, '{n} template', '{n} templates') : t('No template yet: write one above.');
    } catch (err) {
      if (disposed || mine !== seq) return;
      summary.textContent = t('Could not load the templates.');
      reportError(err, t('Could not load the templates'));
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const id = sessionSelect.value;
    if (!id) return;
    showErrors(errors, null);
    const fields = { name: name.value.trim(), body: body.value, header: header.value, footer: footer.value };
    await withBusy(submit, async () => {
      try {
        if (editing) await api.put(path`/api/sessions/${id}/templates/${editing.id}`, fields);
        else {
          if (!fields.header) delete fields.header;
          if (!fields.footer) delete fields.footer;
          await api.post(path`/api/sessions/${id}/templates`, fields);
        }
        toast(t('Template “{name}” saved.', { name: fields.name }), 'success');
        edit(null);
        load();
      } catch (err) {
        if (isSignedOut(err)) return;
        showErrors(errors, err);
      }
    });
  });

  sessionSelect.addEventListener('change', () => {
    edit(null);
    load();
  });
  const view = sessionStore.follow(() => {
    const chosen = sessionSelect.value;
    fillSessionPicker(sessionSelect, sessionStore.all(), { chosen: chosen ? [chosen] : [], empty: t('No sessions yet') });
    if (sessionSelect.value !== chosen) load();
  });
  view.load().catch((err) => reportError(err, t('Could not load sessions')));
  return () => {
    disposed = true;
    view.stop();
  };
}
