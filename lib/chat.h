/*
 * chat.h: the async_chat layout shared by chat.c (input: terminators and
 * the scanner) and chat-send.c (output: the queue and producers).
 * Private to the library, like acore-internal.h.
 */
#ifndef ACORE_CHAT_H
#define ACORE_CHAT_H

#include "acore-internal.h"

struct chat_item;
TAILQ_HEAD(chat_queue, chat_item);

struct acore_chat {
	/* terminator */
	int			 kind;		/* ACORE_TERM_* */
	char			*term;		/* ACORE_TERM_STRING */
	size_t			 term_len;
	size_t			 count;		/* ACORE_TERM_COUNT: bytes left */

	/* input: bytes [pos, end) of in[] are not scanned yet */
	char			*in;
	size_t			 in_cap;
	size_t			 pos;
	size_t			 end;
	size_t			 in_size;	/* ac_in_buffer_size */
	size_t			 msg;		/* collected since found_terminator */
	size_t			 max_input;

	/* output */
	struct acore_buf	 out;		/* ac_out_buffer */
	size_t			 out_size;	/* ac_out_buffer_size */
	struct chat_queue	 queue;		/* producer_fifo */
	size_t			 queued;	/* bytes in queued data items */
	unsigned		 gen;		/* bumped by discard_buffers */
	int			 sending;	/* inside initiate_send */
};

/* chat.c */
/* d's chat state, or NULL when d is not a chat channel. */
struct acore_chat *acore__chat_of(const struct acore_dispatcher *d);
/* Feed bytes as if one read had returned them (the fuzzer). */
int	 acore__chat_feed(struct acore_dispatcher *d, const void *buf,
	    size_t len);

/* chat-send.c */
void	 acore__chat_send_free(struct acore_chat *c);
/* Drop all queued output, freeing producers. */
void	 acore__chat_send_discard(struct acore_chat *c);

#endif /* ACORE_CHAT_H */
