// Tabs: search, browse, compare (arrow keys move between them, as the ARIA tabs pattern asks).
import { $ } from "./staff-state.js";

const tabs = [...document.querySelectorAll('[role="tab"]')];

export function showTab(name, focus = false) {
  for (const tab of tabs) {
    const on = tab.id === `tab-${name}`;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    $(`#${tab.getAttribute("aria-controls")}`).hidden = !on;
    if (on && focus) tab.focus();
  }
  $("#main").classList.toggle("wide", name === "compare"); // the cities side by side need the full width
}

/** The selected tab element. */
export const currentTab = () => tabs.find((x) => x.getAttribute("aria-selected") === "true");

export function wireTabs() {
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => showTab(tab.id.slice(4)));
    tab.addEventListener("keydown", (e) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (step) {
        e.preventDefault();
        showTab(tabs[(i + step + tabs.length) % tabs.length].id.slice(4), true);
      }
    });
  });
}
