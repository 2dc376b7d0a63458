"""Exports of a finished result folder for people who work in spreadsheets.

``sheets`` decides what each sheet holds, from the folder's files alone and
with no spreadsheet library; ``xlsx`` writes those sheets as an Excel
workbook with XlsxWriter (the optional extra ``excel``).
"""
