"""The newcool-infra policy pack: importable policy modules; __main__.py serves them."""
