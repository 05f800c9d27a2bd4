"""HTTP service, web page and the `talent` command line."""
