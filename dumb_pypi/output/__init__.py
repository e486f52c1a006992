"""Writing the index: the tree (tree.py), its manifest (manifest.py), the
tarball (tarball.py), and the lock that keeps one build at a time (lock.py)."""
