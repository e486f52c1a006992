MESSAGE = "from b"
