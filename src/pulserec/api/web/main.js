// Entry: sections by hash (#try, #dashboard), the key prompt, start-up.
import { getKey, onUnauthorized, setKey } from "./api.js";
import { reloadReports, startDashboard, stopDashboard } from "./dashboard.js";
import { initTry, startTry } from "./try.js";
import { $, clearMessage, guarded } from "./ui.js";

let tryStarted = false;

function askForKey() {
  const form = $("#key-form");
  form.hidden = false;
  $("#key-input").focus();
}

function route() {
  const dashboard = location.hash === "#dashboard";
  $("#dashboard").hidden = !dashboard;
  $("#try").hidden = dashboard;
  $(dashboard ? "#nav-dashboard" : "#nav-try").setAttribute("aria-current", "page");
  $(dashboard ? "#nav-try" : "#nav-dashboard").removeAttribute("aria-current");
  if (dashboard) {
    startDashboard();
  } else {
    stopDashboard();
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
  window.addEventListener("hashchange", route);
  route();
}

init();
