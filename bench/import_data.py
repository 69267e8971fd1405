#!/usr/bin/env python3
"""Writes the import benchmark's files: 10,101 customers (an agent, 100 retailers, 10,000
consumers) and 1,000,000 purchases, deterministic. Usage: bench/import_data.py OUT_DIR"""
import random
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp"
random.seed(7)
with open(f"{out}/bench-customers.csv", "w") as f:
    f.write("external_id,name,kind,subkind,parent_external_id\nA1,总代理,intermediate,agent,\n")
    for i in range(100):
        f.write(f"R{i},门店{i},intermediate,retailer,A1\n")
    for i in range(10000):
        f.write(f"C{i},顾客{i},end,,R{i % 100}\n")
with open(f"{out}/bench-purchases.csv", "w") as f:
    f.write("external_id,customer_external_id,date,amount,currency,sku,product_name,category,serial,seller_external_id\n")
    for i in range(1_000_000):
        date = f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}"
        amount = f"{random.randint(100, 500000) / 100:.2f}"
        f.write(f"P{i},C{i % 10000},{date},{amount},CNY,BCD-215,冰箱,refrigerator,SN{i:09d},R{i % 100}\n")
