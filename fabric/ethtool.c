/* ethtool.c: offload features by name over SIOCETHTOOL.  See ethtool.h. */
#include "ethtool.h"
#include "netns.h"
#include "nl.h"

#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/sockios.h>

/* The device's feature table: names and the GFEATURES blocks. */
struct feats {
	unsigned n;                            /* number of features */
	char *names;                           /* n * ETH_GSTRING_LEN */
	struct ethtool_gfeatures *g;           /* ceil(n/32) blocks */
};

/* feat_name: the NUL-terminated name of feature i (copied to buf). */
static const char *feat_name(const struct feats *f, unsigned i, char buf[ETH_GSTRING_LEN + 1])
{
	memcpy(buf, f->names + (size_t)i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
	buf[ETH_GSTRING_LEN] = '\0';
	return buf;
}

/* feat_active / feat_available: bits of feature i in the GFEATURES blocks. */
static bool feat_active(const struct feats *f, unsigned i)
{
	return f->g->features[i / 32].active >> (i % 32) & 1;
}
static bool feat_available(const struct feats *f, unsigned i)
{
	return f->g->features[i / 32].available >> (i % 32) & 1;
}

/* sock_in: an AF_INET datagram socket created in netns_fd (or here). */
static int sock_in(int netns_fd, char *err, size_t errlen)
{
	struct netns_saved saved = { -1 };
	int rc;
	if (netns_fd >= 0 && (rc = netns_enter_fd(netns_fd, &saved, err, errlen)) < 0)
		return rc;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int e = errno;
	if ((rc = netns_restore(&saved, err, errlen)) < 0) {
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (fd < 0)
		return nbnl_errf(err, errlen, -e, NULL, "ethtool socket");
	return fd;
}

/* eioctl: SIOCETHTOOL with cmd buffer data on ifname; 0 or -errno, and
 * the (non-negative) ioctl result in *res when res is given. */
static int eioctl(int fd, const char *ifname, void *data, int *res)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = data;
	int r = ioctl(fd, SIOCETHTOOL, &ifr);
	if (r < 0)
		return -errno;
	if (res)
		*res = r;
	return 0;
}

/* feats_read_state: refreshes f->g with ETHTOOL_GFEATURES. */
static int feats_read_state(int fd, const char *ifname, struct feats *f, char *err, size_t errlen)
{
	unsigned blocks = (f->n + 31) / 32;
	f->g->cmd = ETHTOOL_GFEATURES;
	f->g->size = blocks;
	int rc = eioctl(fd, ifname, f->g, NULL);
	if (rc < 0)
		return nbnl_errf(err, errlen, rc, NULL, "ethtool %s: ETHTOOL_GFEATURES", ifname);
	return 0;
}

/* feats_load: reads the feature names and their state. */
static int feats_load(int fd, const char *ifname, struct feats *f, char *err, size_t errlen)
{
	memset(f, 0, sizeof(*f));
	/* ethtool_sset_info and room for one count after it */
	uint64_t sbuf[(sizeof(struct ethtool_sset_info) + sizeof(uint32_t) + 7) / 8] = { 0 };
	struct ethtool_sset_info *si = (struct ethtool_sset_info *)sbuf;
	si->cmd = ETHTOOL_GSSET_INFO;
	si->sset_mask = UINT64_C(1) << ETH_SS_FEATURES;
	int rc = eioctl(fd, ifname, si, NULL);
	if (rc < 0)
		return nbnl_errf(err, errlen, rc, NULL, "ethtool %s: ETHTOOL_GSSET_INFO", ifname);
	if (!(si->sset_mask & (UINT64_C(1) << ETH_SS_FEATURES)) || si->data[0] == 0 || si->data[0] > 4096)
		return nbnl_errf(err, errlen, -EOPNOTSUPP, NULL, "ethtool %s: no feature names", ifname);
	f->n = si->data[0];

	struct ethtool_gstrings *gs = calloc(1, sizeof(*gs) + (size_t)f->n * ETH_GSTRING_LEN);
	unsigned blocks = (f->n + 31) / 32;
	f->g = calloc(1, sizeof(*f->g) + blocks * sizeof(f->g->features[0]));
	if (!gs || !f->g) {
		free(gs);
		return nbnl_errf(err, errlen, -ENOMEM, NULL, "ethtool %s", ifname);
	}
	gs->cmd = ETHTOOL_GSTRINGS;
	gs->string_set = ETH_SS_FEATURES;
	gs->len = f->n;
	if ((rc = eioctl(fd, ifname, gs, NULL)) < 0) {
		free(gs);
		return nbnl_errf(err, errlen, rc, NULL, "ethtool %s: ETHTOOL_GSTRINGS", ifname);
	}
	if (gs->len < f->n)
		f->n = gs->len;
	/* Keep just the names: move them to the front of the allocation. */
	f->names = (char *)gs;
	memmove(f->names, gs->data, (size_t)f->n * ETH_GSTRING_LEN);
	return feats_read_state(fd, ifname, f, err, errlen);
}

/* feats_free: releases what feats_load allocated. */
static void feats_free(struct feats *f)
{
	free(f->names);
	free(f->g);
}

/* is_offload: the features ethtool_offloads_off turns off. */
static bool is_offload(const char *name)
{
	if (!strncmp(name, "tx-checksum", 11) || !strncmp(name, "tx-scatter-gather", 17) ||
	    !strncmp(name, "tx-gso-", 7) || !strncmp(name, "rx-gro", 6) ||
	    !strncmp(name, "rx-udp-gro", 10) || !strcmp(name, "rx-lro"))
		return true;
	return !strncmp(name, "tx-", 3) && strstr(name, "segmentation");
}

/* summarize: fills o from the active bits. */
static void summarize(const struct feats *f, struct ethtool_offloads *o)
{
	memset(o, 0, sizeof(*o));
	char nb[ETH_GSTRING_LEN + 1];
	for (unsigned i = 0; i < f->n; i++) {
		if (!feat_active(f, i))
			continue;
		const char *n = feat_name(f, i, nb);
		if (!strncmp(n, "tx-checksum", 11))
			o->tx_csum = true;
		else if (!strcmp(n, "tx-scatter-gather"))
			o->sg = true;
		else if (!strcmp(n, "tx-tcp-segmentation") || !strcmp(n, "tx-tcp6-segmentation"))
			o->tso = true;
		else if (!strcmp(n, "tx-generic-segmentation"))
			o->gso = true;
		else if (!strcmp(n, "rx-gro"))
			o->gro = true;
	}
}

/* ethtool_offloads_get: see ethtool.h. */
int ethtool_offloads_get(int netns_fd, const char *ifname, struct ethtool_offloads *o,
			 char *err, size_t errlen)
{
	int fd = sock_in(netns_fd, err, errlen);
	if (fd < 0)
		return fd;
	struct feats f;
	int rc = feats_load(fd, ifname, &f, err, errlen);
	if (rc == 0)
		summarize(&f, o);
	feats_free(&f);
	close(fd);
	return rc;
}

/* set_off: one ETHTOOL_SFEATURES clearing every available offload bit. */
static int set_off(int fd, const char *ifname, const struct feats *f, char *err, size_t errlen)
{
	unsigned blocks = (f->n + 31) / 32;
	struct ethtool_sfeatures *s = calloc(1, sizeof(*s) + blocks * sizeof(s->features[0]));
	if (!s)
		return nbnl_errf(err, errlen, -ENOMEM, NULL, "ethtool %s", ifname);
	s->cmd = ETHTOOL_SFEATURES;
	s->size = blocks;
	char nb[ETH_GSTRING_LEN + 1];
	for (unsigned i = 0; i < f->n; i++)
		if (feat_available(f, i) && is_offload(feat_name(f, i, nb)))
			s->features[i / 32].valid |= UINT32_C(1) << (i % 32); /* requested stays 0 */
	int res = 0;
	int rc = eioctl(fd, ifname, s, &res);
	free(s);
	if (rc < 0)
		return nbnl_errf(err, errlen, rc, NULL, "ethtool %s: ETHTOOL_SFEATURES", ifname);
	/* ETHTOOL_F_WISH (some bits could not follow) is judged by the
	 * read-back below; UNSUPPORTED cannot happen for available bits. */
	return 0;
}

/* ethtool_offloads_off: see ethtool.h. */
int ethtool_offloads_off(int netns_fd, const char *ifname, char *err, size_t errlen)
{
	int fd = sock_in(netns_fd, err, errlen);
	if (fd < 0)
		return fd;
	struct feats f;
	int rc = feats_load(fd, ifname, &f, err, errlen);
	if (rc == 0)
		rc = set_off(fd, ifname, &f, err, errlen);
	if (rc == 0)
		rc = feats_read_state(fd, ifname, &f, err, errlen);
	if (rc == 0) {
		struct ethtool_offloads o;
		summarize(&f, &o);
		if (o.tx_csum || o.sg || o.tso || o.gso || o.gro)
			rc = nbnl_errf(err, errlen, -EOPNOTSUPP, NULL, "ethtool %s: still on:%s%s%s%s%s", ifname,
				       o.tx_csum ? " tx-checksum" : "", o.sg ? " sg" : "", o.tso ? " tso" : "",
				       o.gso ? " gso" : "", o.gro ? " gro" : "");
	}
	feats_free(&f);
	close(fd);
	return rc;
}
