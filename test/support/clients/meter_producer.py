"""The library meter's producer, as its users run it: a CSV "played back" into Kafka.

Written like the meter system's own producer.py: every `step_frequency` seconds it publishes the
rows of the next `step_frequency * accelerator` minutes of the file, each as
`json.dumps({"ts": "YYYY-MM-DD HH:MM:SS", "value": <float>})`, with the confluent-kafka client,
no key, one flush per message. What its users set in the code (the start, the number of
iterations) and the topic are options here; it reads the CSV with the standard library instead
of pandas, giving the same payloads (pandas' float64 values print as Python floats).
"""
import argparse
import csv
import datetime
import json
import socket
import time

from confluent_kafka import Producer


class KafkaProducerFileStreamer:
    """Turns a file into a stream for a Kafka producer."""

    def __init__(self, process_handlers, step_frequency: int, accelerator: int = 1) -> None:
        self._process_handlers = process_handlers
        self._step_frequency = step_frequency
        self._accelerator = accelerator

    def load_file(self, file_path, time_col="start_time", value_col="value"):
        with open(file_path, newline="") as f:
            self._rows = [
                (datetime.datetime.strptime(row[time_col].strip(), "%Y-%m-%d %H:%M:%S"), float(row[value_col]))
                for row in csv.DictReader(f)
            ]

    def start_stream(self, polling_start_dt: datetime.datetime, curr_iteration=0, max_iterations=None):
        while max_iterations is None or curr_iteration < max_iterations:
            start_time = polling_start_dt + datetime.timedelta(minutes=curr_iteration * self._step_frequency * self._accelerator)
            end_time = start_time + datetime.timedelta(minutes=self._step_frequency * self._accelerator)
            rows = [(ts, value) for ts, value in self._rows if start_time <= ts < end_time]
            print(f"{curr_iteration} -- start: {start_time} to end: {end_time}")
            print(f"Found {len(rows)} records.")
            for ts, value in rows:
                for p in self._process_handlers:
                    p(json.dumps({"ts": ts.strftime("%Y-%m-%d %H:%M:%S"), "value": value}))
            curr_iteration = curr_iteration + 1
            time.sleep(self._step_frequency)


def kafka_producer_handler(producer, topic):
    def handler(json_payload):
        producer.produce(topic, value=json_payload)
        producer.flush()

    return handler


if __name__ == "__main__":
    parser = argparse.ArgumentParser("Kafka Stream Producer")
    parser.add_argument("--bootstrap_server", type=str)
    parser.add_argument("--file_path", type=str)
    parser.add_argument("--step_frequency", type=int, default=5)
    parser.add_argument("--accelerator", type=int, default=1)
    parser.add_argument("--topic", type=str, default="usage")
    parser.add_argument("--start", type=str, default="2023-01-13")
    parser.add_argument("--max_iterations", type=int, default=None)
    args = parser.parse_args()

    producer = Producer({"bootstrap.servers": args.bootstrap_server, "client.id": socket.gethostname()})
    streamer = KafkaProducerFileStreamer([kafka_producer_handler(producer, args.topic)], args.step_frequency, args.accelerator)
    streamer.load_file(args.file_path, time_col="usage_datetime_start_eastern_time", value_col="usage_kw")
    streamer.start_stream(datetime.datetime.strptime(args.start, "%Y-%m-%d"), max_iterations=args.max_iterations)
