"""`rag eval ...` commands."""
import typer

app = typer.Typer(help="Measure retrieval and answer quality.", no_args_is_help=True)
