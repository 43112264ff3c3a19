"""Re-take the README's screenshots of the web pages in headless Chromium.

    .venv/bin/python bench/screenshots.py [--out docs]     (or: make screenshots)

Serves the app (the shipped knowledge base, a throw-away Chroma folder and data folder) on a loopback
port, drives Debian's Chromium through Playwright and writes docs/screenshot-chat.png (desktop),
docs/screenshot-staff.png (search and a clause), docs/screenshot-compare.png (产假 across cities) and
docs/screenshot-phone.png (the chat at 390×844). Chinese needs a CJK font (`fonts-wqy-microhei`).
"""
from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from familydesk import Assistant, Settings  # noqa: E402
from familydesk.app import create_app  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-quic", "--hide-scrollbars"]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(tmp: Path) -> tuple[str, object]:
    import uvicorn

    settings = Settings(chroma_dir=tmp / "chroma", data_dir=tmp / "data", rate_limit=0)
    app = create_app(Assistant(settings), settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return url, server
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the server did not become healthy")


def settle(page) -> None:
    """No focus ring, no hover, no half-finished transition in the picture."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.move(1, 1)
    page.wait_for_timeout(250)


def chat(page, url: str, question: str) -> None:
    page.goto(url + "/")
    page.wait_for_selector("body.ready", state="attached")
    page.fill("#question", question)
    page.press("#question", "Enter")
    page.wait_for_selector('.msg-bot[aria-busy="false"] .cite')
    page.locator(".msg-bot .cite summary").first.click()
    # the question just under the sticky top bar
    page.locator(".msg-user").first.evaluate(
        "n => window.scrollTo(0, n.offsetTop - document.querySelector('.topbar').offsetHeight - 16)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout if shutil.which("fc-list") else ""
    if not fonts.strip():
        print("warning: no CJK font installed; Chinese will show as boxes (apt-get install fonts-wqy-microhei)")
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url, server = serve(Path(tmp))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)

            desktop = browser.new_context(viewport=DESKTOP, locale="zh-CN", color_scheme="light",
                                          permissions=["clipboard-read", "clipboard-write"])
            page = desktop.new_page()
            chat(page, url, "包头护理假有多少天？")
            settle(page)
            page.screenshot(path=args.out / "screenshot-chat.png")

            page = desktop.new_page()
            page.goto(url + "/staff")
            page.wait_for_selector("body.ready", state="attached")
            page.keyboard.press("/")
            page.keyboard.type("产假")
            page.wait_for_selector("#results .result")
            page.keyboard.press("ArrowDown")
            page.keyboard.press("Enter")
            page.keyboard.press("c")
            page.wait_for_selector("#copy-status .copied-text")
            settle(page)
            page.screenshot(path=args.out / "screenshot-staff.png")

            page = desktop.new_page()
            page.goto(url + "/staff")
            page.wait_for_selector("body.ready", state="attached")
            page.click("#tab-compare")
            page.locator("#topics .chip", has_text="育儿补贴").click()
            page.wait_for_selector("#compare .compare-col")
            settle(page)
            page.screenshot(path=args.out / "screenshot-compare.png")

            phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                        locale="zh-CN", color_scheme="light")
            page = phone.new_page()
            chat(page, url, "包头护理假有多少天？")
            settle(page)
            page.screenshot(path=args.out / "screenshot-phone.png")
            browser.close()
        server.should_exit = True
    for name in ("chat", "staff", "compare", "phone"):
        print(args.out / f"screenshot-{name}.png")


if __name__ == "__main__":
    main()
