/*
 * A Kafka-protocol server on loopback for tests: librdkafka's mock cluster
 * (rd_kafka_mock_cluster_new), which speaks enough of the protocol for real clients (kafkajs):
 * metadata, produce, fetch, consumer groups, offsets. No Kafka broker installs on the machines
 * these tests run on; Debian's librdkafka-dev ships the mock.
 *
 * Usage: kafka-mock <brokers> [<topic>:<partitions> ...]
 * Prints the bootstrap servers ("127.0.0.1:port,...") on one line, then serves until stdin closes
 * or SIGTERM/SIGINT arrives, so that a test that dies takes its cluster with it.
 *
 * Built by .ci/run: cc -O2 -o tools/kafka-mock/kafka-mock tools/kafka-mock/kafka-mock.c -lrdkafka
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop = 0;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <brokers> [<topic>:<partitions> ...]\n", argv[0]);
    return 2;
  }
  int brokers = atoi(argv[1]);
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  /* The mock cluster lives inside a client handle; it does not need to connect anywhere. */
  if (rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "kafka-mock: %s\n", errstr);
    return 1;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == NULL) {
    fprintf(stderr, "kafka-mock: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (cluster == NULL) {
    fprintf(stderr, "kafka-mock: could not start the mock cluster\n");
    return 1;
  }
  for (int i = 2; i < argc; i++) {
    char *colon = strrchr(argv[i], ':');
    if (colon == NULL) {
      fprintf(stderr, "kafka-mock: %s is not <topic>:<partitions>\n", argv[i]);
      return 2;
    }
    *colon = '\0';
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(cluster, argv[i], atoi(colon + 1), 1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      fprintf(stderr, "kafka-mock: topic %s: %s\n", argv[i], rd_kafka_err2str(err));
      return 1;
    }
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  fflush(stdout);
  struct pollfd in = {.fd = STDIN_FILENO, .events = POLLIN};
  char buffer[256];
  while (!stop) {
    int ready = poll(&in, 1, 200);
    if (ready > 0) {
      if (read(STDIN_FILENO, buffer, sizeof buffer) <= 0) break;
    }
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}
