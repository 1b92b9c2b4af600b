/*
 * fuzz_config.c - libFuzzer target for the config parser (tokenizer,
 * blocks, keyword tables, addresses). Inputs naming 'include' are skipped
 * so the target never reads the machine's files.
 */
#include "common.h"
#include "config.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct config *c;
	char *cause = NULL;

	if (strstr(text, "include") == NULL) {
		c = config_load_text("fuzz.conf", text, &cause);
		if (c != NULL) {
			FILE *devnull = fopen("/dev/null", "w");

			if (devnull != NULL) {
				config_dump(c, devnull);
				fclose(devnull);
			}
		}
		config_unref(c);
		free(cause);
	}
	free(text);
	return 0;
}
