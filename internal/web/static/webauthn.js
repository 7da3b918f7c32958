// Security keys: the two-factor page registers one, the sign-in's second step uses one. The
// browser speaks to the key (navigator.credentials); the server keeps the ceremony's state and
// checks the answer, which this script posts in an ordinary form.
"use strict";
(function () {
  function fail(el, msg) {
    if (!el) return;
    el.textContent = msg;
    el.hidden = false;
  }

  function supported() {
    return window.PublicKeyCredential && PublicKeyCredential.parseCreationOptionsFromJSON &&
      PublicKeyCredential.parseRequestOptionsFromJSON;
  }

  function reason(err) {
    if (err && err.name === "NotAllowedError") return "The key did not answer (cancelled, or timed out). Try again.";
    if (err && err.name === "InvalidStateError") return "This key is registered to your account already.";
    return "The security key could not be used" + (err && err.message ? ": " + err.message : ".");
  }

  // Registering: ask the server for options, let the key make a credential, post it.
  var add = document.getElementById("key-add");
  if (add) {
    var addErr = document.getElementById("key-add-error");
    add.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!supported()) {
        fail(addErr, "This browser cannot use security keys. Try a current Firefox, Chrome, Edge or Safari.");
        return;
      }
      var body = new URLSearchParams();
      body.set("name", document.getElementById("key-name").value);
      fetch(add.action, { method: "POST", body: body, headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (resp) {
          return resp.json().then(function (data) {
            if (!resp.ok) throw new Error(data.error || "The server refused.");
            return data;
          });
        })
        .then(function (data) {
          var opts = PublicKeyCredential.parseCreationOptionsFromJSON(data.options.publicKey);
          return navigator.credentials.create({ publicKey: opts }).then(function (cred) {
            var form = document.getElementById("key-finish");
            form.elements.registration.value = data.token;
            form.elements.credential.value = JSON.stringify(cred.toJSON());
            form.submit();
          });
        })
        .catch(function (err) { fail(addErr, reason(err)); });
    });
  }

  // Signing in: the options came with the page; let the key sign them, post the answer.
  var signin = document.getElementById("key-signin");
  var use = document.getElementById("use-key");
  if (signin && use) {
    var useErr = document.getElementById("use-key-error");
    use.addEventListener("click", function () {
      if (!supported()) {
        fail(useErr, "This browser cannot use security keys. Use another way below, or a current browser.");
        return;
      }
      var opts;
      try {
        opts = PublicKeyCredential.parseRequestOptionsFromJSON(JSON.parse(signin.dataset.options).publicKey);
      } catch (err) {
        fail(useErr, reason(err));
        return;
      }
      navigator.credentials.get({ publicKey: opts })
        .then(function (cred) {
          signin.elements.credential.value = JSON.stringify(cred.toJSON());
          signin.submit();
        })
        .catch(function (err) { fail(useErr, reason(err)); });
    });
  }
})();
