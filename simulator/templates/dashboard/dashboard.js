// leadim-sim dashboard: the copy buttons, and the live journal. Every value from
// the journal goes into the page as text (textContent), never as HTML.
'use strict';

(function () {
  /** Polls for new journal entries this often (ms): a new request shows within a second. */
  const POLL_MS = 500;
  /** Rows kept on the page; older ones are dropped from the bottom. */
  const MAX_ROWS = 500;
  /** Entries read per request while catching up. */
  const PAGE = 200;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  // --- Copy buttons: the text of the element named by data-copy. -------------
  function setUpCopyButtons() {
    for (const button of document.querySelectorAll('button[data-copy]')) {
      button.addEventListener('click', async () => {
        const source = document.getElementById(button.dataset.copy);
        const said = button.parentElement.querySelector('.copied');
        try {
          await navigator.clipboard.writeText(source.textContent);
          if (said) said.textContent = 'Copied.';
        } catch (e) {
          // No clipboard (an insecure origin, a denied permission): select it.
          const range = document.createRange();
          range.selectNodeContents(source);
          const selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
          if (said) said.textContent = 'Selected: press Ctrl+C to copy.';
        }
      });
    }
  }

  // --- The live journal. --------------------------------------------------
  /** What came of a request, in words: from its answer when it is Lead.IM's envelope. */
  /** The answer as the journal gives it: JSON when the body was, else text. */
  function jsonAnswer(entry) {
    return typeof entry.answer === 'string' ? null : entry.answer;
  }

  function outcome(entry) {
    if (entry.status === 0) return entry.answer;
    const answer = jsonAnswer(entry);
    if (answer && answer.status === 'success') {
      if (answer.result !== undefined) return 'success: lead ' + answer.result;
      if (Array.isArray(answer.data)) return 'success: ' + answer.data.length + ' lead(s)';
      return 'success';
    }
    if (answer && answer.status === 'failure') return 'failure: ' + answer.error;
    if (entry.status >= 300 && entry.status < 400) return 'redirect';
    if (entry.status >= 400) return 'error';
    return 'answered';
  }

  function summary(entry) {
    const line = element('summary');
    const said = outcome(entry);
    // Lead.IM answers most refusals with HTTP 200 and its failure envelope.
    const good = entry.status >= 200 && entry.status < 400 && !said.startsWith('failure');
    line.append(
      element('span', 'id', '#' + entry.id),
      element('span', 'method', entry.method),
      element('span', 'endpoint', entry.endpoint || entry.path),
      element('span', 'account', entry.account === null ? 'no account' : 'account ' + entry.account),
      element('span', 'code ' + (good ? 'ok' : 'bad'), entry.status === 0 ? 'no answer' : entry.status),
      element('span', 'outcome', said));
    if (entry.diagnostics.length) {
      const n = entry.diagnostics.length;
      const errors = entry.diagnostics.filter((d) => d.level === 'error').length;
      line.append(element('span', 'badge diag' + (errors ? ' error' : ''),
        n + (n === 1 ? ' diagnostic' : ' diagnostics') + (errors ? ', ' + errors + ' error' + (errors === 1 ? '' : 's') : '')));
    }
    if (entry.fault) line.append(element('span', 'badge fault', 'fault'));
    const time = element('time', '', new Date(entry.at).toLocaleTimeString());
    time.dateTime = entry.at;
    line.append(time);
    return line;
  }

  /** A table of (name, value) pairs; values of any direction. */
  function pairs(caption, list) {
    const table = element('table', 'params');
    table.append(element('caption', '', caption));
    for (const [name, value] of list) {
      const row = element('tr');
      const head = element('th', '', name);
      head.scope = 'row';
      head.dir = 'auto';
      const cell = element('td', '', value);
      cell.dir = 'auto';
      row.append(head, cell);
      table.append(row);
    }
    return table;
  }

  function body(entry) {
    const box = element('div', 'entry-body');
    if (entry.diagnostics.length) {
      box.append(element('h3', '', 'Diagnostics'));
      const list = element('ul', 'diagnostics');
      for (const diagnostic of entry.diagnostics) {
        const item = element('li', 'diagnostic ' + diagnostic.level);
        item.append(element('span', 'level', diagnostic.level === 'error' ? 'Error: ' : 'Note: '),
          element('span', '', diagnostic.text));
        item.dir = 'auto';
        list.append(item);
      }
      box.append(list);
    }
    if (entry.fault) {
      box.append(element('h3', '', 'Fault'), element('p', 'fault', entry.fault));
    }
    const target = entry.path + (entry.query ? '?' + entry.query : '');
    box.append(element('h3', '', 'Request'), element('p', 'target', entry.method + ' ' + target));
    if (entry.params.length) {
      box.append(pairs('Decoded parameters', entry.params));
    } else {
      box.append(element('p', '', 'No parameters were decoded.'));
    }
    box.append(element('h3', '', 'Answer: ' + (entry.status === 0 ? 'none' : 'HTTP ' + entry.status) +
      ' in ' + entry.micros + ' µs'));
    const shown = typeof entry.answer === 'string' ? entry.answer : JSON.stringify(entry.answer, null, 2);
    const answer = element('pre', 'answer', shown);
    answer.dir = 'ltr';
    box.append(answer);
    const lid = leadOf(entry);
    if (lid !== null) {
      const link = element('a', '', 'Open lead ' + lid + ' as it is now');
      link.href = '/a/' + entry.account + '/leads/' + lid;
      box.append(element('p'));
      box.lastChild.append(link);
    }
    const headers = element('details');
    headers.append(element('summary', '', 'Headers'), pairs('Request headers', entry.headers));
    box.append(headers);
    return box;
  }

  /** The lead a request created or named, when the journal shows which. */
  function leadOf(entry) {
    if (entry.account === null) return null;
    const answer = jsonAnswer(entry);
    if (answer && answer.status === 'success' && Number.isInteger(answer.result)) return answer.result;
    const byId = entry.params.find(([name]) => name === 'by_id');
    return byId && /^[0-9]+$/.test(byId[1]) ? byId[1] : null;
  }

  function row(entry) {
    const item = element('li', 'entry' + (entry.diagnostics.length ? ' has-diagnostics' : '') +
      (entry.fault ? ' has-fault' : ''));
    item.dataset.id = entry.id;
    const details = element('details');
    details.append(summary(entry), body(entry));
    item.append(details);
    return item;
  }

  function setUpJournal(list) {
    const form = document.getElementById('filters');
    const status = document.getElementById('journal-status');
    let since = Number(form.dataset.start);
    let generation = 0;
    let busy = false;
    let stopped = false;

    function url() {
      const query = new URLSearchParams({ since: String(since), limit: String(PAGE) });
      const account = form.elements.account.value.trim();
      if (account) query.set('account', account);
      if (form.elements.endpoint.value) query.set('endpoint', form.elements.endpoint.value);
      if (form.elements.with_diagnostics.checked) query.set('with_diagnostics', 'true');
      return '/__admin/requests?' + query;
    }

    async function poll() {
      if (busy || stopped) return;
      busy = true;
      const mine = generation;
      try {
        for (;;) {
          const answer = await fetch(url(), { credentials: 'same-origin', cache: 'no-store' });
          if (answer.status === 401) {
            stopped = true;
            status.textContent = 'The admin token is needed again: reload the page.';
            return;
          }
          const page = await answer.json();
          if (!answer.ok) throw new Error(page.error || 'HTTP ' + answer.status);
          if (mine !== generation) return;
          for (const entry of page.entries) list.prepend(row(entry));
          while (list.children.length > MAX_ROWS) list.lastElementChild.remove();
          since = page.next_since;
          if (page.entries.length) {
            const shown = list.children.length;
            status.textContent = shown + (shown === 1 ? ' request' : ' requests') +
              ' shown, the newest first; new ones appear as they come.';
          }
          if (!page.more) break;
        }
      } catch (e) {
        status.textContent = 'The journal could not be read (' + e.message + '); trying again.';
      } finally {
        busy = false;
      }
    }

    function restart(event) {
      if (event) event.preventDefault();
      generation += 1;
      busy = false;
      since = Math.max(0, since - MAX_ROWS);
      list.replaceChildren();
      status.textContent = 'Filters applied.';
      poll();
    }

    form.addEventListener('submit', restart);
    form.addEventListener('change', restart);
    poll();
    setInterval(poll, POLL_MS);
  }

  document.addEventListener('DOMContentLoaded', () => {
    setUpCopyButtons();
    const list = document.getElementById('journal');
    if (list) setUpJournal(list);
  });
})();
