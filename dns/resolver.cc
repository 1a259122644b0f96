// Placeholder: being written (see dns/resolver.h for the contract).
#include "dns/resolver.h"
