/* main.c -- main() only: hand the arguments to the command table. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc - 1, argv + 1);
}
