#include "cedit_shim.h"
