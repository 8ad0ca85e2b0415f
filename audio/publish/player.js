
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("episode-data").textContent);
  const audio = document.getElementById("audio");
  const chapters = data.chapters, segments = data.segments;
  const chapterItems = Array.from(document.querySelectorAll("[data-chapter]"));
  const cueItems = new Map();
  document.querySelectorAll("[data-segment]").forEach((el) => cueItems.set(el.dataset.segment, el));
  const bar = document.querySelector(".bar");
  const now = document.getElementById("now");
  const prevButton = document.getElementById("prev"), nextButton = document.getElementById("next");
  const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const EPS = 0.001;
  let pending = null, currentChapter = null, currentCue = null, ownHash = "", userScrolled = -Infinity;
  let currentWord = null;
  let whole = "";  // "loading", then "done", once the MP3 is fetched whole (see loadWhole)

  function position() { return pending !== null ? pending : audio.currentTime; }
  function length() { return isFinite(audio.duration) ? audio.duration : data.duration; }

  function chapterAt(t) {
    let found = chapters.length ? 0 : -1;
    chapters.forEach((c, i) => { if (c.start <= t + EPS) found = i; });
    return found;
  }

  function cueAt(t, chapter) {
    // Before a chapter's first line is spoken, that line is the one coming up.
    let found = null;
    for (const s of segments) if (s.chapter === chapter && (s.start <= t + EPS || !found)) found = s;
    return found;
  }

  function reveal(el, force) {
    if (!force && (audio.paused || Date.now() - userScrolled < 4000)) return;
    const box = el.getBoundingClientRect();
    if (box.top >= bar.getBoundingClientRect().bottom && box.bottom <= window.innerHeight) return;
    el.scrollIntoView({ block: "center", behavior: smooth ? "smooth" : "auto" });
  }

  function highlight(t, force) {
    const ch = chapterAt(t);
    if (ch !== currentChapter) {
      currentChapter = ch;
      chapterItems.forEach((el) => {
        const on = Number(el.dataset.chapter) === ch;
        el.classList.toggle("current", on);
        if (on) el.setAttribute("aria-current", "true"); else el.removeAttribute("aria-current");
      });
      now.textContent = ch < 0 ? "" : "Chapter " + (ch + 1) + " of " + chapters.length + ": " + chapters[ch].title;
      prevButton.disabled = ch <= 0;
      nextButton.disabled = ch < 0 || ch >= chapters.length - 1;
    }
    const cue = cueAt(t, ch), id = cue ? cue.id : null, changed = id !== currentCue;
    if (changed) {
      if (currentCue !== null) cueItems.get(currentCue).classList.remove("current");
      currentCue = id;
      if (id !== null) cueItems.get(id).classList.add("current");
    }
    if (id !== null && (changed || force)) reveal(cueItems.get(id), force);
    markWord(t, id);
  }

  function markWord(t, id) {
    // The word being spoken (the last one started, until it ends), in the line being spoken.
    let found = null;
    if (id !== null) {
      for (const w of cueItems.get(id).querySelectorAll(".w")) {
        if (Number(w.dataset.t) > t + EPS) break;
        if (t < Number(w.dataset.e) + EPS) found = w;
      }
    }
    if (found === currentWord) return;
    if (currentWord) currentWord.classList.remove("word-current");
    currentWord = found;
    if (found) found.classList.add("word-current");
  }

  function seek(t, play) {
    t = Math.max(0, Math.min(t, length()));
    if (audio.readyState >= 1 && whole !== "loading") { audio.currentTime = t; pending = null; } else { pending = t; }
    highlight(t, true);
    if (play) { const p = audio.play(); if (p) p.catch(() => {}); }
  }

  function setHash(hash) {
    ownHash = "#" + hash;
    try { history.replaceState(null, "", ownHash); } catch (e) { location.hash = hash; }
  }

  function goChapter(i, play) {
    if (i < 0 || i >= chapters.length) return;
    seek(chapters[i].start, play);
    setHash("chapter=" + (i + 1));
  }

  function seconds(text) {
    const parts = text.split(":");
    if (!parts.every((p) => /^\d+(\.\d+)?$/.test(p))) return NaN;
    return parts.reduce((total, p) => total * 60 + Number(p), 0);
  }

  function fromHash(play) {
    const params = new URLSearchParams(location.hash.slice(1));
    const n = Number(params.get("chapter"));
    if (params.has("chapter") && Number.isInteger(n) && n >= 1 && n <= chapters.length) {
      seek(chapters[n - 1].start, play);
    } else if (params.has("t") && !isNaN(seconds(params.get("t")))) {
      seek(seconds(params.get("t")), play);
    }
  }

  function toggle() {
    if (audio.paused) { const p = audio.play(); if (p) p.catch(() => {}); } else audio.pause();
  }

  // A server that ignores Range requests (python -m http.server) leaves the audio unseekable:
  // fetch it whole instead, as a blob in which every position can be reached.
  function loadWhole() {
    whole = "loading";
    if (pending === null) pending = audio.currentTime;
    fetch(audio.currentSrc)
      .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(r.statusText))))
      .then((blob) => {
        const playing = !audio.paused;
        whole = "done";
        audio.src = URL.createObjectURL(blob);
        if (playing) audio.play().catch(() => {});
      })
      .catch(() => { whole = "done"; pending = null; });  // it still plays, from the start only
  }

  audio.addEventListener("loadedmetadata", () => {
    const s = audio.seekable;
    if (!whole && /^https?:$/.test(location.protocol) && !(s.length && s.end(s.length - 1) > 0)) return loadWhole();
    if (pending !== null) { const t = pending; pending = null; audio.currentTime = t; }
  });
  audio.addEventListener("timeupdate", () => highlight(position(), false));
  // timeupdate comes four times a second: a word is followed frame by frame while playing
  function follow() { if (!audio.paused) { markWord(audio.currentTime, currentCue); requestAnimationFrame(follow); } }
  audio.addEventListener("play", () => requestAnimationFrame(follow));
  audio.addEventListener("seeked", () => highlight(position(), false));
  audio.addEventListener("error", () => { document.getElementById("audio-error").hidden = false; });
  chapterItems.forEach((el) => el.addEventListener("click", () => goChapter(Number(el.dataset.chapter), true)));
  document.getElementById("transcript").addEventListener("click", (e) => {
    const el = e.target.closest("[data-segment]");
    if (!el || (String(window.getSelection()) && !e.target.closest("button"))) return;
    const word = e.target.closest(".w");
    if (word && !e.target.closest("button")) { seek(Number(word.dataset.t), true); return; }
    const cue = segments.find((s) => s.id === el.dataset.segment);
    if (cue) seek(cue.start, true);
  });
  prevButton.addEventListener("click", () => goChapter(Math.max(0, chapterAt(position()) - 1), true));
  nextButton.addEventListener("click", () => goChapter(chapterAt(position()) + 1, true));

  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const target = e.target instanceof Element ? e.target : document.body;
    if (target.closest("input, textarea, select, [contenteditable]")) return;
    const inControl = target.closest("button, a, audio, summary");
    if (["PageUp", "PageDown", "ArrowUp", "ArrowDown", "Home", "End"].includes(e.key)) userScrolled = Date.now();
    switch (e.key) {
      case "n": case "N": nextButton.click(); break;
      case "p": case "P": prevButton.click(); break;
      case " ": if (inControl) return; toggle(); break;
      case "ArrowLeft": if (inControl) return; seek(position() - 5, false); break;
      case "ArrowRight": if (inControl) return; seek(position() + 5, false); break;
      default: return;
    }
    e.preventDefault();
  });
  ["wheel", "touchmove"].forEach((kind) =>
    window.addEventListener(kind, () => { userScrolled = Date.now(); }, { passive: true }));

  // The sticky bar's height, for the chapter list and for scrolling cues out from under it.
  new ResizeObserver(() => document.documentElement.style.setProperty("--bar", bar.offsetHeight + "px")).observe(bar);
  window.addEventListener("hashchange", () => { if (location.hash !== ownHash) fromHash(!audio.paused); });
  highlight(0, false);
  fromHash(false);
})();
