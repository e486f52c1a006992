"""Helpers shared by the test suites, one module per need:

    cli            run this checkout's CLI (`run_cli`, `cli_env`, `REPO`)
    data           the 71k real filenames, where dumb-pypi 1.15 is installed
    distributions  small real wheels and sdists (`make_wheel`, `make_sdist`)
    indexes        fixture indexes built the rules' way (`build_index`)
    trees          a built tree read back (`read_tree`, `digests`, `manifest`, `extract`)
    servers        servers on 127.0.0.1: static (`http_server`), nginx, SeaweedFS; `get`
    installs       pip and uv kept off the machine's configuration
    tools          the tools the install scripts put outside the venv (`missing`: skip, or fail under CI)
    realfiles      real PyPI files, fetched and pinned by sha256
    simplepages    what a built index's simple pages advertise, read as a client reads them
    browser        headless Chromium over DevTools
    bazel          real Bazel on copies of the checkout
    pants          real Pants on a copy of the example workspace

Tests import them as `support.<module>`, and a suite's own modules as
`<suite>.<module>` (`browser.webui_contract`, `clients.runners`,
`bazel.remote.cluster`): pyproject's pytest pythonpath has tests/.
"""
