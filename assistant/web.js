// Runs once per page (js_on_load of the sources panel). Clicks on any a.cite (chat or panel) become one
// 'cite' event; the turn and number travel in the href because the chat's sanitizer drops data-* attributes.
// Coming back to the tab is a 'sync' event: another tab may have added or deleted reports meanwhile.
window.__assistantTrigger = trigger;
if (!window.__assistantBound) {
  window.__assistantBound = true;
  let lastMarker = null;
  const copyText = async (button) => {
    // Gradio's own copy button copies the message's markup; people want the words they see.
    // The buttons of a message follow its row in the chat.
    const row = button.closest('.message-buttons')?.previousElementSibling;
    const body = row?.querySelector('.message-content');
    if (!body) return;
    const text = body.innerText.trim();
    try { await navigator.clipboard.writeText(text); } catch (err) {
      const area = document.createElement('textarea');
      area.value = text; document.body.appendChild(area); area.select(); document.execCommand('copy'); area.remove();
    }
    button.setAttribute('data-copied', '1');
    button.title = 'Copied';
  };
  // Also called (always) after a question answered from a library version this tab has not seen, as an event
  // of its own: a server call chained to the question, cut off by a server restart, left Send doing nothing.
  let synced = 0;
  window.__assistantSync = (always) => {
    // focus and visibilitychange come together when the tab is switched back to: one sync for both
    if (!always && (document.visibilityState !== 'visible' || Date.now() - synced < 1000)) return;
    synced = Date.now();
    window.__assistantTrigger('sync', {});
  };
  window.addEventListener('focus', () => window.__assistantSync(false));
  document.addEventListener('visibilitychange', () => window.__assistantSync(false));
  // On a phone the sources are a drawer over the chat: opening it is a step the browser's Back undoes, as
  // "Back to the answer" does, instead of leaving the app.
  const phone = window.matchMedia('(max-width: 760px)');
  const openSide = () => {
    if (phone.matches && !document.body.classList.contains('side-open')) history.pushState({side: true}, '');
    document.body.classList.add('side-open');
  };
  const closeSide = () => {
    document.body.classList.remove('side-open');
    const back = lastMarker && lastMarker.isConnected ? lastMarker : document.querySelector('#chat');
    if (back) back.scrollIntoView({block: 'center'});
  };
  window.addEventListener('popstate', () => {
    if (document.body.classList.contains('side-open')) closeSide();
  });
  document.addEventListener('click', (e) => {
    const t = e.target;
    if (!t || !t.closest) return;
    const a = t.closest('a.cite');
    const m = a ? /^#cite-(\d+)-(\d+)$/.exec(a.getAttribute('href') || '') : null;
    if (m) {
      e.preventDefault();
      e.stopPropagation();
      if (a.closest('#chat')) lastMarker = a;
      openSide();
      window.__assistantTrigger('cite', {turn: Number(m[1]), n: Number(m[2])});
      return;
    }
    if (t.closest('#back-to-answer')) {
      e.preventDefault();
      if (history.state && history.state.side) history.back();  // popstate closes it, and the step is undone
      else closeSide();
      return;
    }
    if (t.closest('#open-side')) {
      e.preventDefault();
      openSide();
      const side = document.querySelector('#side');
      if (side) side.scrollTop = 0;  // the sources first
      return;
    }
    const copy = t.closest('#chat button[aria-label="Copy message"]');
    if (copy) {
      e.preventDefault();
      e.stopPropagation();
      copyText(copy);
    }
  }, true);
}
