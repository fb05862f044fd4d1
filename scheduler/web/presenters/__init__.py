"""What pages show, worded for their reader: view-models shared by several blueprints.

A presenter turns service results into plain values a template displays. Blueprints
import presenters and shared forms (``scheduler.web.forms``), never each other.
"""
