from interlink.cli.main import app

app()
