/*
 * chat.c: async_chat.  Placeholder until the async_chat issue lands: the
 * calls exist so the core links, and each says it is not there yet.
 */
#include <errno.h>
#include <stdlib.h>

#include "acore-internal.h"

struct acore_dispatcher *
acore_chat_new(struct acore_loop *loop, const struct acore_ops *ops, void *arg)
{
	(void)loop; (void)ops; (void)arg;
	errno = ENOSYS;
	return NULL;
}

int acore_chat_set_terminator(struct acore_dispatcher *d, const void *t, size_t l) { (void)d; (void)t; (void)l; return -ENOSYS; }
int acore_chat_set_terminator_count(struct acore_dispatcher *d, size_t c) { (void)d; (void)c; return -ENOSYS; }
int acore_chat_set_terminator_none(struct acore_dispatcher *d) { (void)d; return -ENOSYS; }
int acore_chat_get_terminator(const struct acore_dispatcher *d, size_t *c) { (void)d; (void)c; return -ENOSYS; }
int acore_chat_push(struct acore_dispatcher *d, const void *b, size_t l) { (void)d; (void)b; (void)l; return -ENOSYS; }
int acore_chat_push_with_producer(struct acore_dispatcher *d, const struct acore_producer_ops *o, void *a) { (void)d; (void)o; (void)a; return -ENOSYS; }
int acore_chat_close_when_done(struct acore_dispatcher *d) { (void)d; return -ENOSYS; }
void acore_chat_discard_buffers(struct acore_dispatcher *d) { (void)d; }
int acore_chat_set_buffer_sizes(struct acore_dispatcher *d, size_t i, size_t o) { (void)d; (void)i; (void)o; return -ENOSYS; }
void acore_chat_set_max_input(struct acore_dispatcher *d, size_t b) { (void)d; (void)b; }
struct acore_simple_producer *acore_simple_producer_new(const void *p, size_t l, size_t n) { (void)p; (void)l; (void)n; errno = ENOSYS; return NULL; }
size_t acore_simple_producer_more(void *p, const void **data) { (void)p; (void)data; return 0; }
void acore_simple_producer_free(void *p) { (void)p; }
const struct acore_producer_ops acore_simple_producer_ops = { acore_simple_producer_more, acore_simple_producer_free };
void acore__chat_free(struct acore_chat *c) { (void)c; }
void acore__chat_handle_read(struct acore_dispatcher *d) { (void)d; }
void acore__chat_handle_write(struct acore_dispatcher *d) { (void)d; }
int acore__chat_readable(struct acore_dispatcher *d) { (void)d; return 0; }
int acore__chat_writable(struct acore_dispatcher *d) { (void)d; return 0; }
void acore__chat_connected(struct acore_dispatcher *d) { (void)d; }
size_t acore__chat_pending(const struct acore_dispatcher *d) { (void)d; return 0; }
