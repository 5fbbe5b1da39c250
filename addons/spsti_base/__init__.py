# This file is part of the SPSTI ERP.  See README.rst for what it does.
