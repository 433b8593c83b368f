/* A shared library that is not a DataFlex plugin: it exports no entry point. */
int not_a_dataflex_plugin(int x) { return x + 1; }
