"""The peer design: Flask + scikit-learn serving the same fitted models.

It accepts the module's request shapes (a named object, {"features": [...]},
{"instances": [row, ...]} with rows as arrays or objects) and answers the
same way: a classifier's predict label and predict_proba per class, a
regressor's prediction. The models are the ones models/make_examples.py fits,
pickled by bench/run.py into the file named by BENCH_PEER_MODELS (a dict
name -> (fitted model, feature names)).

    BENCH_PEER_MODELS=models.pkl gunicorn -w 1 -b 127.0.0.1:PORT flask_app:app
    BENCH_PEER_MODELS=models.pkl /usr/bin/python3 flask_app.py PORT

Flask's own server is started with app.run (threaded, as Flask starts it by
default), its request log turned off (nginx runs with access_log off).
"""

import logging
import os
import pickle
import sys

import numpy as np
from flask import Flask, abort, jsonify, request

with open(os.environ["BENCH_PEER_MODELS"], "rb") as f:
    MODELS = pickle.load(f)

app = Flask(__name__)


def _row(model_names, row):
    if isinstance(row, dict):
        if len(row) != len(model_names):
            abort(400)
        return [row[f] for f in model_names]
    if len(row) != len(model_names):
        abort(400)
    return row


def _py(v):
    return v.item() if isinstance(v, np.generic) else v


@app.route("/v1/models/<name>", methods=["POST"])
def predict(name):
    if name not in MODELS:
        abort(404)
    model, names = MODELS[name]
    body = request.get_json(force=True)
    if not isinstance(body, dict):
        abort(400)
    if "instances" in body:
        batch = True
        X = [_row(names, r) for r in body["instances"]]
    elif "features" in body:
        batch = False
        X = [_row(names, body["features"])]
    else:
        batch = False
        X = [_row(names, body)]
    X = np.array(X, dtype=float)

    if hasattr(model, "predict_proba"):
        labels = model.predict(X)
        proba = model.predict_proba(X)
        classes = [str(_py(c)) for c in model.classes_]
        answers = [{"prediction": _py(l),
                    "probabilities": dict(zip(classes, p.tolist()))}
                   for l, p in zip(labels, proba)]
    else:
        y = model.predict(X)
        if batch:
            return jsonify({"predictions": y.tolist()})
        answers = [{"prediction": y.tolist()[0]}]

    if batch:
        return jsonify({"predictions": answers})
    return jsonify(answers[0])


if __name__ == "__main__":
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
