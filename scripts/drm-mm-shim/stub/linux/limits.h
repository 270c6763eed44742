/* SPDX-License-Identifier: MIT */
/* Empty: see kshim.h. */
