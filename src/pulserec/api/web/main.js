// Entry: sections by hash (#try, #dashboard), the key prompt, start-up.
import { getKey, onUnauthorized, setKey } from "./api.js";
import { reloadReports, startDashboard, stopDashboard } from "./dashboard.js";
import { initExperiments, startExperiments, stopExperiments } from "./experiments.js";
import { initTry, startTry } from "./try.js";
import { $, clearMessage, guarded } from "./ui.js";

let tryStarted = false;

function askForKey() {
  const form = $("#key-form");
  form.hidden = false;
  $("#key-input").focus();
}

const SECTIONS = ["try", "dashboard", "experiments"];

function route() {
  const wanted = location.hash.replace("#", "");
  const current = SECTIONS.includes(wanted) ? wanted : "try";
  for (const name of SECTIONS) {
    $(`#${name}`).hidden = name !== current;
    if (name === current) $(`#nav-${name}`).setAttribute("aria-current", "page");
    else $(`#nav-${name}`).removeAttribute("aria-current");
  }
  if (current === "dashboard") startDashboard(); else stopDashboard();
  if (current === "experiments") startExperiments(); else stopExperiments();
  if (current === "try") {
    if (!tryStarted) {
      tryStarted = true;
      guarded(startTry);
    }
  }
}

function init() {
  onUnauthorized(askForKey);
  if (getKey()) $("#key-form").hidden = false;
  $("#key-input").value = getKey();
  $("#key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    setKey($("#key-input").value.trim());
    clearMessage();
    reloadReports();
    tryStarted = false;
    stopDashboard();
    route();
  });
  $("#key-clear").addEventListener("click", () => {
    setKey("");
    $("#key-input").value = "";
  });
  initTry();
  initExperiments();
  window.addEventListener("hashchange", route);
  route();
}

init();
