/*
 * cli_root — lana root add|del|hints: the lab's root servers (lanad's db/root.h). The
 * replies are printed as every registry reply is (client/out_reg.c): hints as a root hints
 * file in the format of the Internet's named.root, which a resolver reads (unbound's
 * root-hints:, BIND's hint zone); --json as the reply came.
 */
#include <stdio.h>
#include <string.h>

#include "client/cli.h"
#include "client/clienv.h"
#include "client/out.h"

static const char help_root[] =
    "usage: lana root add NAME ADDR...   a root server of the lab (admin): NAME becomes the NS\n"
    "                                    of `.` and of every zone lanad serves, ADDR (IPv4 or\n"
    "                                    IPv6, up to 4) its addresses, glue where needed;\n"
    "                                    again with other ADDRs to change them\n"
    "       lana root del NAME           no longer a root server (admin; not the last one)\n"
    "       lana root hints              the root hints file for a resolver (named.root format)\n";

int cli_root(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("%s\n%s", help_root, clienv_help);
            return LANA_EXIT_OK;
        }
    if (argc < 2) {
        fputs(help_root, stderr);
        return LANA_EXIT_USAGE;
    }
    return cli_reg_request(argc, argv);
}
