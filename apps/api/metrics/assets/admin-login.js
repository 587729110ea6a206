// Sends the admin token once, in an Authorization header (never in a url, so in no log),
// and goes to the board with the cookie it gets back.
document.getElementById('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const message = document.getElementById('message');
  const token = document.getElementById('token').value.trim();
  const answer = await fetch('/admin/session', { method: 'POST', headers: { authorization: `Bearer ${token}` }, credentials: 'same-origin' });
  if (answer.status === 204) {
    location.assign('/admin/queues/');
    return;
  }
  const body = await answer.json().catch(() => ({}));
  message.textContent = answer.status === 401 ? 'That is not the admin token.' : `Refused (${answer.status}): ${body.message ?? ''}`;
});
