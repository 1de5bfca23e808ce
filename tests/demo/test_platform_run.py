from demo.management.commands.platform_run import Command, web_server_argv


def _option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_web_server_takes_processes_and_threads_from_settings(settings):
    settings.WEB_CONCURRENCY = 3
    settings.WEB_THREADS = 2
    argv = web_server_argv(bind="127.0.0.1:9000")
    options = (_option(argv, "--workers"), _option(argv, "--threads"), _option(argv, "--bind"))
    assert options == ("3", "2", "127.0.0.1:9000")


def test_platform_run_web_workers_option_overrides_the_setting(settings):
    settings.WEB_CONCURRENCY = 3
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8123"
    web = Command()._processes(web_workers=7)["web"]
    assert (_option(web, "--workers"), _option(web, "--bind")) == ("7", "127.0.0.1:8123")
