// Single-key shortcuts: / to search, c to copy the citation. A visible toggle switches them off (remembered in
// this browser); they never fire while typing in a field. Escape, not a character key, always leaves the clause.
import { copyCurrent, leaveClause } from "./staff-clause.js";
import { $, state } from "./staff-state.js";
import { showTab } from "./staff-tabs.js";

const STORAGE_KEY = "familydesk.shortcuts";
const toggle = $("#shortcuts");

function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || target.tagName === "TEXTAREA"
    || target.tagName === "SELECT" || (target.tagName === "INPUT" && !["checkbox", "radio", "button"].includes(target.type)));
}

function remembered() {
  try { return localStorage.getItem(STORAGE_KEY) !== "off"; } catch (_) { return true; } // storage may be off
}

function apply(on) {
  toggle.checked = on;
  document.body.classList.toggle("shortcuts-off", !on);
}

function onKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
  if (e.key === "Escape" && $("#clause-view").contains(e.target)) {
    leaveClause();
    return;
  }
  if (!toggle.checked || typing(e.target)) return;
  if (e.key === "/") {
    e.preventDefault();
    showTab("search");
    $("#q").focus();
    $("#q").select();
  } else if ((e.key === "c" || e.key === "C") && state.current) {
    e.preventDefault();
    copyCurrent();
  }
}

export function wireKeys() {
  apply(remembered());
  toggle.addEventListener("change", () => {
    apply(toggle.checked);
    try { localStorage.setItem(STORAGE_KEY, toggle.checked ? "on" : "off"); } catch (_) { /* storage may be off */ }
  });
  document.addEventListener("keydown", onKey);
}
