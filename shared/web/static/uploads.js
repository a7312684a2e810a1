/* Large documents in pieces, with progress: a form marked data-pieces sends each
   attached file larger than one piece to the resumable upload endpoint (tus, through
   the portal's /portal/uploads) before the form itself is sent; the form then carries
   the upload's id (upload.<kind>) instead of the file. A dropped connection resumes
   where the server says it got to.
   Without this script the form posts its files as they are, so nothing depends on it. */
(function () {
  "use strict";

  function csrfOf(form) {
    var field = form.querySelector("input[name=csrf]");
    return field ? field.value : "";
  }

  function progressFor(input, form) {
    var box = input.parentNode.querySelector(".upload-progress");
    if (!box) {
      box = document.createElement("div");
      box.className = "upload-progress";
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", form.dataset.uploading + " " + input.labels[0].textContent);
      var said = document.createElement("p");
      said.className = "hint";
      said.setAttribute("role", "status");
      box.appendChild(bar);
      box.appendChild(said);
      input.parentNode.appendChild(box);
    }
    return {
      show: function (sent, total) {
        var percent = Math.floor((sent * 100) / total);
        box.querySelector("progress").value = percent;
        box.querySelector("p").textContent = form.dataset.uploading + ": " + percent + "%";
      },
      done: function () {
        box.querySelector("progress").value = 100;
        box.querySelector("p").textContent = form.dataset.uploaded;
      },
      failed: function () {
        box.querySelector("p").textContent = form.dataset.uploadFailed;
        box.querySelector("p").className = "error";
      },
    };
  }

  function request(method, url, csrf, headers, body) {
    var sent = { "X-CSRF-Token": csrf };
    for (var name in headers) sent[name] = headers[name];
    return fetch(url, { method: method, headers: sent, body: body, credentials: "same-origin" });
  }

  // Where an upload got to: its address (kept on the input) and the server's offset.
  async function resume(form, input, file, csrf) {
    var address = input.dataset.uploadAddress;
    if (address && input.dataset.uploadSize === String(file.size)) {
      var asked = await request("HEAD", address, csrf, {});
      if (asked.ok) return { address: address, offset: Number(asked.headers.get("Upload-Offset")) };
    }
    var suffix = (file.name.match(/\.[A-Za-z0-9]{1,7}$/) || [""])[0];
    var query = "?kind=" + encodeURIComponent(input.dataset.kind) + "&suffix=" + encodeURIComponent(suffix);
    var made = await request("POST", form.dataset.pieces + query, csrf, { "Upload-Length": String(file.size) });
    if (made.status !== 201) throw new Error("upload refused: " + made.status);
    input.dataset.uploadAddress = made.headers.get("Location");
    input.dataset.uploadSize = String(file.size);
    return { address: input.dataset.uploadAddress, offset: 0 };
  }

  async function upload(form, input, piece) {
    var file = input.files[0];
    var csrf = csrfOf(form);
    var shown = progressFor(input, form);
    var at = await resume(form, input, file, csrf);
    shown.show(at.offset, file.size);
    while (at.offset < file.size) {
      var answer = await request(
        "PATCH", at.address, csrf,
        { "Upload-Offset": String(at.offset), "Content-Type": "application/offset+octet-stream" },
        file.slice(at.offset, at.offset + piece)
      );
      if (answer.status !== 204) throw new Error("piece refused: " + answer.status);
      at.offset = Number(answer.headers.get("Upload-Offset"));
      shown.show(at.offset, file.size);
    }
    shown.done();
    return at.address.split("/").pop();
  }

  function carry(form, input, id) {
    var hidden = form.querySelector("input[name='upload." + input.dataset.kind + "']");
    if (!hidden) {
      hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "upload." + input.dataset.kind;
      form.appendChild(hidden);
    }
    hidden.value = id;
    input.disabled = true; // the file already went; the form sends its id
  }

  function forDraft(form, submitter) {
    var action = (submitter && submitter.getAttribute("formaction")) || form.getAttribute("action");
    return /\/draft$/.test(action || "");
  }

  function enhance(form) {
    var piece = Number(form.dataset.pieceBytes) || 2097152;
    form.addEventListener("submit", function (event) {
      if (form.dataset.sending === "yes" || forDraft(form, event.submitter)) return;
      var large = Array.prototype.filter.call(
        form.querySelectorAll("input[type=file][data-kind]"),
        function (input) { return !input.disabled && input.files.length && input.files[0].size > piece; }
      );
      if (!large.length) return;
      event.preventDefault();
      var submitter = event.submitter;
      var buttons = form.querySelectorAll("button");
      buttons.forEach(function (b) { b.disabled = true; });
      (async function () {
        try {
          for (var i = 0; i < large.length; i++) carry(form, large[i], await upload(form, large[i], piece));
        } catch (error) {
          large.forEach(function (input) { if (!input.disabled) progressFor(input, form).failed(); });
          buttons.forEach(function (b) { b.disabled = false; });
          return;
        }
        buttons.forEach(function (b) { b.disabled = false; });
        form.dataset.sending = "yes";
        if (form.requestSubmit) form.requestSubmit(submitter || undefined);
        else form.submit();
      })();
    });
  }

  document.querySelectorAll("form[data-pieces]").forEach(enhance);
})();
