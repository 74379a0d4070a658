// Sets the colour theme before the first paint (a classic script, loaded from <head>): the saved
// choice, else the system's, followed live while no choice is saved. The stylesheet then needs
// only `data-theme`, so each palette is written once.
(function () {
  var root = document.documentElement;
  var system = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  function saved() {
    try {
      var theme = window.localStorage.getItem('openwa.theme');
      return theme === 'light' || theme === 'dark' ? theme : null;
    } catch (e) {
      return null; /* storage unavailable: follow the system */
    }
  }
  function apply() {
    root.setAttribute('data-theme', saved() || (system && system.matches ? 'dark' : 'light'));
  }
  apply();
  if (system) system.addEventListener('change', apply);
})();
