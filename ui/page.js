// The page's behaviour in the browser: follow [n] markers, mark the answer whose sources are shown,
// copy an answer, the light/dark choice. Loaded once in <head>; everything listens at the document,
// so it works for messages rendered later.
(() => {
  if (window.qaPage) return;
  const PHONE = "(max-width: 760px)";
  const THEME_KEY = "article-qa-theme";
  let pending = null; // {turn, n}: a marker clicked whose sources panel is still on its way

  function flash(el) {
    el.classList.remove("qa-flash");
    void el.offsetWidth; // restart the animation
    el.classList.add("qa-flash");
  }

  function shownTurn() {
    const panel = document.querySelector("#qa-sources .qa-sources");
    const m = panel && panel.className.match(/qa-for-(\d+)/);
    return m ? m[1] : null;
  }

  function markShown() {
    const turn = shownTurn();
    document.querySelectorAll("#qa-chat .qa-answer").forEach((el) => {
      el.classList.toggle("qa-shown", turn !== null && el.classList.contains(`qa-turn-${turn}`));
    });
  }

  function showPending() {
    if (!pending) return;
    const card = document.getElementById(`qa-source-${pending.turn}-${pending.n}`);
    if (!card) return;
    pending = null;
    card.scrollIntoView({ block: "nearest", behavior: "auto" });
    flash(card);
  }

  function follow(link, event) {
    const m = (link.getAttribute("href") || "").match(/qa-source-(\d+)-(\d+)/);
    if (!m) return;
    event.preventDefault();
    const [, turn, n] = m;
    const bubble = link.closest(".qa-answer");
    if (bubble && window.matchMedia(PHONE).matches) { // a phone: open the sources under this answer
      const fold = bubble.querySelector("details.qa-inline");
      const card = bubble.querySelector(`.qa-inline-${n}`);
      if (fold && card) {
        fold.open = true;
        card.scrollIntoView({ block: "nearest" });
        flash(card);
      }
      return;
    }
    pending = { turn, n };
    showPending(); // at once if the panel already shows this answer; else when it arrives
    setTimeout(() => { pending = null; }, 5000);
  }

  function copy(button) {
    const bubble = button.closest(".qa-answer");
    const lines = bubble ? Array.from(bubble.querySelectorAll(".qa-copy-text .qa-copy-line")) : [];
    if (!lines.length) return;
    const text = lines.map((line) => line.textContent).join("\n");
    const done = () => {
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = "Copy"; }, 1500);
    };
    const fallback = () => { // pages served over plain http to another machine have no clipboard API
      const area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
      done();
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  }

  function setTheme(mode) {
    document.body.classList.toggle("dark", mode === "dark");
    const button = document.querySelector("#qa-theme");
    if (button) button.textContent = mode === "dark" ? "Light" : "Dark";
  }

  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const link = target.closest("a.qa-cite");
    if (link) { hideTip(); return follow(link, event); }
    const button = target.closest("button.qa-copy");
    if (button) { event.preventDefault(); return copy(button); }
    if (target.closest("#qa-theme")) {
      const mode = document.body.classList.contains("dark") ? "light" : "dark";
      localStorage.setItem(THEME_KEY, mode);
      setTheme(mode);
    }
  }, true);

  // Hovering (or focusing) [n] shows the cited sentence at once in a box of our own; the server's title
  // attribute carries the text (and stays the fallback without this script).
  let tip = null;
  function showTip(link) {
    if (link.hasAttribute("title")) {
      link.dataset.tip = link.getAttribute("title");
      link.setAttribute("aria-label", link.dataset.tip);
      link.removeAttribute("title");
    }
    if (!link.dataset.tip) return;
    tip = tip || Object.assign(document.createElement("div"), { className: "qa-tip", role: "tooltip" });
    tip.textContent = link.dataset.tip;
    const width = Math.min(380, window.innerWidth - 16);
    tip.style.maxWidth = `${width}px`;
    document.body.appendChild(tip);
    const r = link.getBoundingClientRect();
    const box = tip.getBoundingClientRect();
    tip.style.left = `${Math.min(Math.max(8, r.left), window.innerWidth - box.width - 8)}px`;
    const below = r.bottom + 6;
    tip.style.top = `${below + box.height > window.innerHeight ? Math.max(8, r.top - 6 - box.height) : below}px`;
  }
  function hideTip() { if (tip) tip.remove(); }
  for (const [on, off] of [["mouseover", "mouseout"], ["focusin", "focusout"]]) {
    document.addEventListener(on, (e) => {
      const link = e.target instanceof Element ? e.target.closest("a.qa-cite") : null;
      if (link) showTip(link);
    });
    document.addEventListener(off, (e) => {
      if (e.target instanceof Element && e.target.closest("a.qa-cite")) hideTip();
    });
  }

  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; markShown(); showPending(); });
  }).observe(document.documentElement, { childList: true, subtree: true });

  window.qaPage = {
    // Called when the page has loaded (the header's js_on_load): the browser's saved light/dark choice.
    restoreTheme() {
      const saved = localStorage.getItem(THEME_KEY);
      setTheme(saved || (document.body.classList.contains("dark") ? "dark" : "light"));
    },
    download(name, text) {
      const url = URL.createObjectURL(new Blob([text], { type: "text/markdown;charset=utf-8" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    },
  };
})();
