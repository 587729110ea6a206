'use strict';
// The landing form: turns a lab id (or a pasted link) and a token into /labs/<id>/page#token=...
// The token goes in the fragment, which browsers never send to the server.
(function () {
  var UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
  var form = document.getElementById('open-lab');
  var error = document.getElementById('landing-error');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var raw = document.getElementById('lab-id').value.trim();
    var token = document.getElementById('lab-token').value.trim();
    var id = UUID.exec(raw);
    if (!id) {
      error.textContent = 'That is not a lab id: it looks like 3f9a2c1e-0b7d-4c55-9e2a-1f0c8d3b6a90.';
      error.hidden = false;
      return;
    }
    if (!token) {
      error.textContent = 'The token is missing.';
      error.hidden = false;
      return;
    }
    location.assign('/labs/' + id[0].toLowerCase() + '/page#token=' + encodeURIComponent(token));
  });
})();
