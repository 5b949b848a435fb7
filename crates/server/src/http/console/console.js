// The console's one script: the API key in this tab's session storage, sent as the bearer header
// to fetch fragments (server-rendered, escaped HTML) into the page; copy buttons; local times and
// countdowns. No inline script anywhere: the Content-Security-Policy forbids it.
'use strict';

const KEY = 'icnode.apiKey';

function apiKey() {
  return sessionStorage.getItem(KEY);
}

// Fetches a fragment with the key; a refused key sends the user back to sign in.
async function fragment(url, options) {
  const init = Object.assign({ credentials: 'omit' }, options || {});
  init.headers = Object.assign({ Authorization: 'Bearer ' + apiKey(), Accept: 'text/html' }, init.headers || {});
  const response = await fetch(url, init);
  if (response.status === 401) {
    sessionStorage.removeItem(KEY);
    location.assign('/signin?refused=1');
    throw new Error('the API key was refused');
  }
  const text = await response.text();
  // Only the console's own HTML goes into the page; anything else (a size limit, a proxy's
  // error page) is reported and leaves the form as it was.
  if (!(response.headers.get('Content-Type') || '').startsWith('text/html')) {
    throw new Error('HTTP ' + response.status + (text ? ': ' + text.slice(0, 200) : ''));
  }
  return text;
}

function swap(target, html) {
  target.innerHTML = html;
  enhance(target);
  // An answer that changed what another fragment shows (an import, the node list) names it.
  for (const changed of target.querySelectorAll('[data-refresh]')) {
    for (const id of changed.dataset.refresh.split(' ')) {
      const other = document.getElementById(id);
      if (other && other.dataset.load) {
        loadInto(other);
      }
    }
  }
  const invalid = target.querySelector('[aria-invalid="true"]');
  const focus = invalid || target.querySelector('[data-focus]');
  if (focus) {
    focus.focus();
  }
}

function loadInto(element) {
  let url = element.dataset.load;
  if (element.hasAttribute('data-query') && location.search) {
    url += location.search;
  }
  fragment(url).then((html) => swap(element, html)).catch((error) => {
    element.textContent = 'Could not load: ' + error.message;
  });
}

function submitForm(event) {
  const form = event.target;
  event.preventDefault();
  if (!form.reportValidity()) {
    return;
  }
  // Local times go as typed, with the browser's IANA zone: the service reads them in it
  // (daylight saving included) and quotes them back as typed.
  for (const hidden of form.querySelectorAll('[data-time-zone]')) {
    hidden.value = Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  }
  const target = document.getElementById(form.dataset.target);
  const button = form.querySelector('button[type="submit"]');
  if (button) {
    button.disabled = true;
  }
  fragment(form.getAttribute('action'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(new FormData(form)).toString(),
  }).then((html) => swap(target, html)).catch((error) => {
    if (button) {
      button.disabled = false;
    }
    let alert = form.querySelector('.request-failed');
    if (!alert) {
      alert = document.createElement('p');
      alert.className = 'alert request-failed';
      alert.setAttribute('role', 'alert');
      form.prepend(alert);
    }
    alert.textContent = 'The request failed: ' + error.message;
  });
}

function remaining(ms) {
  if (ms <= 0) {
    return 'expired';
  }
  const seconds = Math.floor(ms / 1000);
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const parts = [];
  if (days) parts.push(days + ' d');
  if (days || hours) parts.push(hours + ' h');
  if (days || hours || minutes) parts.push(minutes + ' min');
  parts.push((seconds % 60) + ' s');
  return 'in ' + parts.join(' ');
}

function tick() {
  for (const time of document.querySelectorAll('time[data-countdown]')) {
    const left = Date.parse(time.getAttribute('datetime')) - Date.now();
    const span = time.parentElement.querySelector('.countdown');
    if (span) {
      span.textContent = '(' + remaining(left) + ')';
    }
  }
}

// Another row like the last of the container a button names (a guest of a visit): its fields
// numbered on (`guests[1].name`, `guests-1-name`), empty, and focused.
function addRow(button) {
  const container = document.getElementById(button.dataset.addRow);
  const rows = container.querySelectorAll('[data-index]');
  const last = rows[rows.length - 1];
  const from = last.dataset.index;
  const to = String(rows.length);
  const row = last.cloneNode(true);
  row.dataset.index = to;
  const renumber = (text) => text.split('[' + from + ']').join('[' + to + ']').split('-' + from + '-').join('-' + to + '-');
  for (const element of row.querySelectorAll('[id], [name], [for], [aria-describedby]')) {
    for (const attribute of ['id', 'name', 'for', 'aria-describedby']) {
      if (element.hasAttribute(attribute)) {
        element.setAttribute(attribute, renumber(element.getAttribute(attribute)));
      }
    }
  }
  for (const input of row.querySelectorAll('input')) {
    input.removeAttribute('value');
    input.value = '';
    input.removeAttribute('aria-invalid');
  }
  for (const error of row.querySelectorAll('.error')) {
    error.textContent = '';
  }
  for (const field of row.querySelectorAll('.invalid')) {
    field.classList.remove('invalid');
  }
  row.querySelector('legend').textContent = row.dataset.label + ' ' + (rows.length + 1);
  container.append(row);
  if (rows.length + 1 >= Number(button.dataset.max)) {
    button.disabled = true;
  }
  row.querySelector('input').focus();
}

function localTimes(root) {
  for (const time of root.querySelectorAll('time[data-local]')) {
    const when = new Date(time.getAttribute('datetime'));
    if (!Number.isNaN(when.getTime())) {
      time.textContent = when.toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'short' });
    }
  }
}

function enhance(root) {
  localTimes(root);
  for (const element of root.querySelectorAll('[data-load]')) {
    loadInto(element);
  }
  for (const form of root.querySelectorAll('form[data-target]')) {
    form.addEventListener('submit', submitForm);
  }
  // A time zone field starts as the browser's own IANA zone.
  for (const input of root.querySelectorAll('input[data-browser-zone]')) {
    if (!input.value) {
      input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || '';
    }
  }
  for (const button of root.querySelectorAll('button[data-add-row]')) {
    button.addEventListener('click', () => addRow(button));
  }
  for (const button of root.querySelectorAll('button[data-copy-from]')) {
    button.addEventListener('click', () => {
      const source = document.getElementById(button.dataset.copyFrom);
      // Without the clipboard the text is selected, for the user to copy.
      const select = () => { window.getSelection().selectAllChildren(source); };
      const done = () => { button.firstChild.textContent = 'Copied'; };
      if (navigator.clipboard) {
        navigator.clipboard.writeText(source.textContent).then(done, select);
      } else {
        select();
      }
    });
  }
  const validity = root.querySelector('#validity');
  if (validity) {
    const custom = root.querySelector('.custom-validity');
    const show = () => { custom.hidden = validity.value !== 'custom'; };
    validity.addEventListener('change', show);
    show();
  }
  tick();
}

// Live parts: an element with `data-live` (event types) is loaded again when one of those events
// comes down the tenant's stream (`GET /v1/events`), only for its meeting with `data-live-chat`.
// The stream is read with fetch, which sends the key as EventSource cannot; it connects again
// after a pause whenever it ends.
function heard(type, data) {
  let chatId = null;
  try {
    chatId = JSON.parse(data).data.chatId;
  } catch (ignored) {
    // An event with no JSON still reloads what listens for its type alone.
  }
  for (const element of document.querySelectorAll('[data-live]')) {
    const types = element.dataset.live.split(' ');
    const chat = element.dataset.liveChat;
    if (types.includes(type) && (!chat || chat === chatId)) {
      loadInto(element);
    }
  }
}

async function follow() {
  const response = await fetch('/v1/events', {
    credentials: 'omit',
    headers: { Authorization: 'Bearer ' + apiKey(), Accept: 'text/event-stream' },
  });
  if (!response.ok || !response.body) {
    throw new Error('HTTP ' + response.status);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      return;
    }
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = '';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) {
          type = line.slice(6).trim();
        } else if (line.startsWith('data:')) {
          data.push(line.slice(5).replace(/^ /, ''));
        }
      }
      if (type) {
        heard(type, data.join('\n'));
      }
    }
  }
}

function live() {
  if (!document.querySelector('[data-live]')) {
    return;
  }
  const again = () => setTimeout(live, 2000);
  follow().then(again, again);
}

function signIn(form) {
  const input = form.querySelector('#key');
  const error = form.querySelector('#key-error');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) {
      input.setAttribute('aria-invalid', 'true');
      error.textContent = 'Enter an API key.';
      input.focus();
      return;
    }
    let response;
    try {
      response = await fetch('/console/f/whoami', { headers: { Authorization: 'Bearer ' + key } });
    } catch (failure) {
      input.setAttribute('aria-invalid', 'true');
      error.textContent = 'The key could not be checked: ' + failure.message;
      input.focus();
      return;
    }
    if (response.ok) {
      sessionStorage.setItem(KEY, key);
      location.assign('/');
    } else {
      input.setAttribute('aria-invalid', 'true');
      error.textContent = response.status === 401
        ? 'This key was refused: it is wrong or has been revoked.'
        : 'The service could not check the key (HTTP ' + response.status + ').';
      input.focus();
    }
  });
}

document.addEventListener('DOMContentLoaded', () => {
  // A visitor's page of an own link: its times in the visitor's zone, and nothing else.
  if (document.body.dataset.page === 'open-link') {
    localTimes(document);
    return;
  }
  const signin = document.getElementById('signin');
  if (signin) {
    signIn(signin);
    return;
  }
  if (!apiKey()) {
    location.assign('/signin');
    return;
  }
  const signout = document.getElementById('signout');
  if (signout) {
    signout.addEventListener('click', () => {
      sessionStorage.removeItem(KEY);
      location.assign('/signin');
    });
  }
  enhance(document);
  setInterval(tick, 1000);
  live();
});
