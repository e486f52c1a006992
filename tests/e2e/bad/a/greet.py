MESSAGE = "from a"
