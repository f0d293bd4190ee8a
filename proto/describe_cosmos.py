#!/usr/bin/env python3
"""Writes proto/described/: .proto declarations of the Cosmos SDK services
quired serves (auth, bank, staking, distribution, slashing, tx, base
tendermint, node), for gRPC server reflection (grpcurl, Postman).

cosmos-sdk-proto ships Rust (prost) types, not .proto files or descriptors.
This script reads the prost sources of the pinned cosmos-sdk-proto and
tendermint-proto crates (found with `cargo metadata`) and declares, for each
served method, its request and response and every type they reach: the same
field numbers, wire types, labels, oneofs, maps and enum values prost
encodes, so a reflection client builds messages quired decodes. Only the
served methods are declared, so reflection lists what answers.

Field and enum value names are prost's (the proto's own, snake case);
message names come from prost's `Name` impls (the proto's); enum type names
are prost's Rust names (the proto's modulo acronym case, e.g. BlockIdFlag).

    python3 proto/describe_cosmos.py          # rewrite proto/described/
    python3 proto/describe_cosmos.py --check  # fail if it is not current

The methods, by gRPC path, are read from the lists behind
`quired::cosmos::methods()` (abci/src/cosmos/mod.rs and chain.rs);
abci/tests/cosmos_reflection.rs fails when proto/described/ is not current.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "described"

# Where quired lists the Cosmos methods it answers: `STATE_METHODS` and
# chain's `METHODS` (together `quired::cosmos::methods()`).
METHOD_LISTS = [
    ("abci/src/cosmos/mod.rs", "STATE_METHODS"),
    ("abci/src/cosmos/chain.rs", "METHODS"),
]


def served_methods():
    """The gRPC paths of the Cosmos methods quired answers, from its source."""
    methods = []
    for path, name in METHOD_LISTS:
        text = (HERE.parent / path).read_text()
        m = re.search(r"pub const %s: &\[&str\] = &\[(.*?)\];" % name, text, re.S)
        if not m:
            fail(f"{path} has no `pub const {name}: &[&str]`")
        methods += re.findall(r'"(/cosmos\.[^"]+)"', m.group(1))
    return methods


# Types that travel inside a google.protobuf.Any in these answers and txs
# (accounts, public keys, messages), so a reflection client can show them.
ANY_CONTENTS = [
    "cosmos.auth.v1beta1.BaseAccount",
    "cosmos.auth.v1beta1.ModuleAccount",
    "cosmos.crypto.secp256k1.PubKey",
    "cosmos.crypto.ed25519.PubKey",
    "cosmos.bank.v1beta1.MsgSend",
]

WELL_KNOWN = {
    "Any": "google/protobuf/any.proto",
    "Timestamp": "google/protobuf/timestamp.proto",
    "Duration": "google/protobuf/duration.proto",
}

SCALARS = {
    "string", "bytes", "bool", "double", "float", "int32", "int64", "uint32",
    "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64",
}


def fail(message):
    sys.exit(f"describe_cosmos.py: {message}")


def crate_sources():
    """The prost source directories of the locked crates, by crate name."""
    metadata = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked", "--offline"],
            cwd=HERE.parent, check=True, capture_output=True, text=True,
        ).stdout
    )
    found = {}
    for package in metadata["packages"]:
        root = Path(package["manifest_path"]).parent
        if package["name"] == "cosmos-sdk-proto":
            found["cosmos"] = (package["version"], root / "src/prost/cosmos-sdk")
        elif package["name"] == "tendermint-proto":
            found["tendermint"] = (package["version"], root / "src/prost/v0_38")
    if set(found) != {"cosmos", "tendermint"}:
        fail("cargo metadata lists no cosmos-sdk-proto or tendermint-proto")
    return found


def source_file(sources, package):
    kind = "tendermint" if package.startswith("tendermint.") else "cosmos"
    path = sources[kind][1] / f"{package}.rs"
    if not path.is_file():
        fail(f"no prost source for package {package} ({path})")
    return path


def split_top(text, sep=","):
    """Splits at `sep` outside <> and quotes."""
    parts, depth, quoted, current = [], 0, False, ""
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "<":
            depth += 1
        elif not quoted and ch == ">":
            depth -= 1
        if ch == sep and depth == 0 and not quoted:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def attributes(text):
    """`message, optional, tag = "2"` → {"message": None, "optional": None, "tag": "2"}."""
    out = {}
    for part in split_top(text):
        if "=" in part:
            key, value = part.split("=", 1)
            out[key.strip()] = value.strip().strip('"')
        else:
            out[part.strip()] = None
    return out


def innermost(rust_type):
    """The element path of Option<…>, Vec<…>, Box<…>."""
    t = rust_type.strip()
    while True:
        m = re.match(r"^(?:::)?[\w:]*(?:Option|Vec|Box)<(.*)>$", t, re.S)
        if not m:
            return t
        t = m.group(1).strip()


class Item:
    """A message, oneof or enum in a package's module tree."""

    def __init__(self, kind, rust_name, module):
        self.kind = kind  # "message" | "oneof" | "enum"
        self.rust_name = rust_name
        self.module = module  # tuple of rust module names
        self.fields = []  # message: (name, attrs, rust_type); oneof: (variant, attrs, rust_type)
        self.values = []  # enum: (rust_variant, number)
        self.value_names = {}  # enum: rust_variant -> proto name
        self.proto_name = None  # from the Name impl
        self.full_name = None


def parse_package(path, package):
    """Items of one prost file, keyed by (module path, rust name)."""
    lines = [
        line for line in path.read_text().splitlines()
        if not line.strip().startswith("//") and not line.strip().startswith("#[allow")
    ]
    items = {}
    base = tuple(package.split("."))

    def block(start, indent):
        """The index of the line closing the block opened at `start`."""
        closing = " " * indent + "}"
        for i in range(start + 1, len(lines)):
            if lines[i] == closing:
                return i
        fail(f"{path}: unclosed block at line {start + 1}")

    def walk(lo, hi, module):
        i = lo
        derive = ""
        while i < hi:
            line = lines[i]
            stripped = line.strip()
            indent = len(line) - len(line.lstrip())
            if stripped.startswith("#[derive"):
                derive += stripped
                while not lines[i].rstrip().endswith(")]"):
                    i += 1
                    derive += lines[i].strip()
                i += 1
                continue
            m = re.match(r"pub mod (\w+) \{$", stripped)
            if m:
                end = block(i, indent)
                walk(i + 1, end, module + (m.group(1),))
                i = end + 1
                continue
            m = re.match(r"pub struct (\w+) \{\}$", stripped)
            if m:
                items[(module, m.group(1))] = Item("message", m.group(1), module)
                derive = ""
                i += 1
                continue
            m = re.match(r"pub (struct|enum) (\w+) \{$", stripped)
            if m:
                end = block(i, indent)
                body = "\n".join(lines[i + 1:end])
                name = m.group(2)
                if m.group(1) == "struct":
                    item = Item("message", name, module)
                    item.fields = prost_fields(body, r"pub\s+(?:r#)?(\w+)\s*:\s*(.*?),?\s*$")
                elif "::prost::Oneof" in derive:
                    item = Item("oneof", name, module)
                    item.fields = prost_fields(body, r"(\w+)\s*\((.*)\)\s*,?\s*$")
                elif "::prost::Enumeration" in derive:
                    item = Item("enum", name, module)
                    for v in re.finditer(r"^\s*(\w+)\s*=\s*(-?\d+),", body, re.M):
                        item.values.append((v.group(1), int(v.group(2))))
                else:
                    item = None
                if item is not None:
                    items[(module, name)] = item
                derive = ""
                i = end + 1
                continue
            m = re.match(r"impl ::prost::Name for (\w+) \{$", stripped)
            if m:
                end = block(i, indent)
                body = "\n".join(lines[i + 1:end])
                name = re.search(r'const NAME: &\'static str = "([^"]+)"', body).group(1)
                full = re.search(r'format!\(\s*"([^"]*)\{\}"', body).group(1) + name
                items[(module, m.group(1))].proto_name = name
                items[(module, m.group(1))].full_name = full
                i = end + 1
                continue
            m = re.match(r"impl (\w+) \{$", stripped)
            if m and (module, m.group(1)) in items and items[(module, m.group(1))].kind == "enum":
                end = block(i, indent)
                body = " ".join(l.strip() for l in lines[i + 1:end])
                item = items[(module, m.group(1))]
                arms = body.split("pub fn from_str_name")[0]
                for v in re.finditer(r"\b%s::(\w+)\s*=>\s*\{?\s*\"([A-Z0-9_]+)\"" % m.group(1), arms):
                    item.value_names[v.group(1)] = v.group(2)
                i = end + 1
                continue
            derive = "" if stripped and not stripped.startswith("#[") else derive
            i += 1

    walk(0, len(lines), base)
    return items


def prost_fields(body, declaration):
    """(name, attrs, rust type) of each `#[prost(…)]` declaration in `body`."""
    fields = []
    for chunk in body.split("#[prost(")[1:]:
        attrs_text, rest = chunk.split(")]", 1)
        text = re.sub(r"#\[\w+(?:\((?:[^()]|\([^()]*\))*\))?\]", "", " ".join(rest.split())).strip()
        m = re.match(declaration, text)
        if not m:
            fail(f"cannot read the declaration after #[prost({attrs_text})]: {text[:80]}")
        fields.append((m.group(1), attributes(" ".join(attrs_text.split())), m.group(2)))
    return fields


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Universe:
    """All parsed packages and the resolution of Rust paths to proto names."""

    def __init__(self, sources):
        self.sources = sources
        self.packages = {}

    def package(self, name):
        if name not in self.packages:
            self.packages[name] = parse_package(source_file(self.sources, name), name)
        return self.packages[name]

    def resolve(self, rust_path, module):
        """A Rust type path seen in `module` → (package, item) or ("google", name)."""
        path = rust_path.strip()
        if path.startswith("crate::"):  # inside tendermint-proto
            path = "::tendermint_proto::" + path[len("crate::"):]
        if path.startswith("::tendermint_proto::google::protobuf::"):
            return ("google.protobuf", path.rsplit("::", 1)[1])
        if path.startswith("::tendermint_proto::"):
            parts = [p for p in path.split("::")[2:] if not re.fullmatch(r"v0_\d+", p)]
            parts = ["tendermint"] + parts
        else:
            parts = list(module)
            segments = path.split("::")
            while segments and segments[0] == "super":
                parts.pop()
                segments.pop(0)
            parts += segments
        name = parts[-1]
        mods = parts[:-1]
        # The package is the longest prefix of the module path that is one.
        for cut in range(len(mods), 0, -1):
            package = ".".join(mods[:cut])
            kind = "tendermint" if package.startswith("tendermint.") else "cosmos"
            if (self.sources[kind][1] / f"{package}.rs").is_file():
                items = self.package(package)
                key = (tuple(mods), name)
                if key not in items:
                    fail(f"{rust_path} (from {'.'.join(module)}): no {name} in {package}")
                return (package, items[key])
        fail(f"{rust_path} (from {'.'.join(module)}): no package")

    def item_by_full_name(self, full_name):
        package, _, _ = full_name.rpartition(".")
        for item in self.package(package).values():
            if item.full_name == full_name:
                return (package, item)
        fail(f"no message {full_name}")

    def full_name(self, package, item):
        if item.full_name:
            return item.full_name
        # No Name impl (enums; tendermint-proto has none): the parent
        # messages' names, then the Rust name.
        names = []
        module = item.module
        base = len(package.split("."))
        for depth in range(base, len(module)):
            parent = self.parent_message(package, module[: depth + 1])
            names.append(self.full_name(package, parent).rsplit(".", 1)[1])
        item.proto_name = item.proto_name or item.rust_name
        item.full_name = ".".join([package] + names + [item.rust_name])
        return item.full_name

    def parent_message(self, package, nested_module):
        """The message whose nested module is `nested_module`."""
        *outer, mod = nested_module
        for (module, _), item in self.package(package).items():
            if module == tuple(outer) and item.kind == "message" and snake(item.rust_name) == mod:
                return item
        fail(f"no message owns module {'.'.join(nested_module)}")


def service_methods(universe, methods):
    """path → (package, service, method), path → (request item, response item)."""
    wanted = {}
    for path in methods:
        m = re.fullmatch(r"/([\w.]+)\.(\w+)/(\w+)", path)
        wanted[path] = (m.group(1), m.group(2), m.group(3))
    found = {}
    for package in sorted({p for p, _, _ in wanted.values()}):
        text = (source_file(universe.sources, package).with_suffix(".tonic.rs")).read_text()
        client = text.split("pub mod ")[1] if "pub mod " in text else text
        pattern = re.compile(
            r"IntoRequest<super::(\w+)>,\s*\)\s*->\s*(?:core|std)::result::Result<\s*"
            r"tonic::Response<super::(\w+)>,\s*tonic::Status,?\s*>\s*\{.*?from_static\(\s*\"([^\"]+)\"",
            re.S,
        )
        for m in pattern.finditer(client):
            if m.group(3) in wanted:
                items = universe.package(package)
                module = tuple(package.split("."))
                found[m.group(3)] = (items[(module, m.group(1))], items[(module, m.group(2))])
    missing = [p for p in methods if p not in found]
    if missing:
        fail(f"no unary client method for {missing}")
    return wanted, found


def collect(universe, roots):
    """Every (package, item) the roots reach, messages with their nested items."""
    seen = {}
    stack = list(roots)
    while stack:
        package, item = stack.pop()
        if package == "google.protobuf":
            seen[(package, item)] = None
            continue
        key = (package, universe.full_name(package, item))
        if key in seen:
            continue
        seen[key] = (package, item)
        module_of_fields = item.module
        if item.kind == "message":
            # A message's own module is where its fields' types are named.
            pass
        for name, attrs, rust_type in item.fields:
            for ref in field_refs(attrs, rust_type):
                stack.append(universe.resolve(ref, module_of_fields))
            if "oneof" in attrs:
                oneof_path = attrs["oneof"]
                stack.append(universe.resolve(oneof_path, module_of_fields))
        # An enum nested in a message, or an oneof, needs its parent declared.
        if item.kind != "message" and len(item.module) > len(package.split(".")):
            stack.append((package, universe.parent_message(package, item.module)))
        if item.kind == "message" and len(item.module) > len(package.split(".")):
            stack.append((package, universe.parent_message(package, item.module)))
    return seen


def field_refs(attrs, rust_type):
    """The Rust paths of the message and enum types a field names."""
    if "message" in attrs:
        return [innermost(rust_type)]
    if "enumeration" in attrs:
        return [attrs["enumeration"]]
    if "map" in attrs:
        _, value = [v.strip() for v in attrs["map"].split(",")]
        args = re.search(r"(?:HashMap|BTreeMap)<(.*)>$", rust_type.strip(), re.S).group(1)
        value_type = split_top(args)[1]
        if value.startswith("message"):
            return [innermost(value_type)]
        m = re.match(r"enumeration\((.*)\)", value)
        if m:
            return [m.group(1)]
    return []


class Writer:
    """proto3 text for the collected items, one file per package."""

    def __init__(self, universe, seen):
        self.universe = universe
        self.seen = seen
        self.imports = {}

    def type_name(self, package, ref, module):
        target = self.universe.resolve(ref, module)
        if target[0] == "google.protobuf":
            self.imports.setdefault(package, set()).add(WELL_KNOWN[target[1]])
            return ".google.protobuf." + target[1]
        tpackage, item = target
        if tpackage != package:
            self.imports.setdefault(package, set()).add(file_of(tpackage))
        return "." + self.universe.full_name(tpackage, item)

    def field_type(self, package, attrs, rust_type, module):
        if "message" in attrs:
            return self.type_name(package, innermost(rust_type), module)
        if "enumeration" in attrs:
            return self.type_name(package, attrs["enumeration"], module)
        if "map" in attrs:
            key, value = [v.strip() for v in attrs["map"].split(",")]
            args = re.search(r"(?:HashMap|BTreeMap)<(.*)>$", rust_type.strip(), re.S).group(1)
            value_type = split_top(args)[1]
            if value.startswith("message"):
                value = self.type_name(package, innermost(value_type), module)
            elif value.startswith("enumeration"):
                value = self.type_name(package, re.match(r"enumeration\((.*)\)", value).group(1), module)
            return f"map<{key}, {value}>"
        for scalar in SCALARS:
            if scalar in attrs:
                return scalar
        fail(f"unknown field kind {attrs}")

    def field_line(self, package, name, attrs, rust_type, module, in_oneof=False):
        label = ""
        if not in_oneof and "map" not in attrs:
            if "repeated" in attrs:
                label = "repeated "
            elif "optional" in attrs and "message" not in attrs:
                label = "optional "
        options = " [packed = false]" if attrs.get("packed") == "false" else ""
        ftype = self.field_type(package, attrs, rust_type, module)
        return f"{label}{ftype} {name} = {attrs['tag']}{options};"

    def message(self, package, item, indent):
        pad = "  " * indent
        out = [f"{pad}message {item.proto_name} {{"]
        nested_module = item.module + (snake(item.rust_name),)
        children = [
            i for (p, i) in (v for v in self.seen.values() if v)
            if p == package and i.module == nested_module and i.kind != "oneof"
        ]
        for child in sorted(children, key=lambda c: (c.kind, c.rust_name)):
            out += self.enum(child, indent + 1) if child.kind == "enum" else self.message(package, child, indent + 1)
        entries = []
        for name, attrs, rust_type in item.fields:
            if "oneof" in attrs:
                _, oneof = self.universe.resolve(attrs["oneof"], item.module)
                lines = [f"{pad}  oneof {name} {{"]
                for variant, vattrs, vtype in oneof.fields:
                    lines.append(f"{pad}    " + self.field_line(
                        package, snake(variant), vattrs, vtype, oneof.module, in_oneof=True))
                lines.append(f"{pad}  }}")
                entries.append((min(int(t) for t in attrs["tags"].split(",")), lines))
            else:
                entries.append((int(attrs["tag"]), [f"{pad}  " + self.field_line(
                    package, name, attrs, rust_type, item.module)]))
        for _, lines in sorted(entries, key=lambda e: e[0]):
            out += lines
        out.append(f"{pad}}}")
        return out

    def enum(self, item, indent):
        pad = "  " * indent
        out = [f"{pad}enum {item.rust_name} {{"]
        for variant, number in item.values:
            if variant not in item.value_names:
                fail(f"enum {item.rust_name}: no proto name for {variant}")
            out.append(f"{pad}  {item.value_names[variant]} = {number};")
        out.append(f"{pad}}}")
        return out

    def files(self, services):
        by_package = {}
        for value in self.seen.values():
            if value:
                by_package.setdefault(value[0], []).append(value[1])
        files = {}
        for package in sorted(by_package):
            body = []
            top = [i for i in by_package[package] if i.module == tuple(package.split(".")) and i.kind != "oneof"]
            for item in sorted(top, key=lambda i: (i.kind, i.rust_name)):
                body += (self.enum(item, 0) if item.kind == "enum" else self.message(package, item, 0)) + [""]
            for service, methods in sorted(services.get(package, {}).items()):
                body.append(f"service {service} {{")
                for method, request, response in methods:
                    body.append(f"  rpc {method}(.{request.full_name}) returns (.{response.full_name});")
                body += ["}", ""]
            imports = sorted(self.imports.get(package, set()) - {file_of(package)})
            head = [
                "// Generated by proto/describe_cosmos.py from the prost sources of",
                f"// cosmos-sdk-proto {self.universe.sources['cosmos'][0]} and tendermint-proto "
                f"{self.universe.sources['tendermint'][0]}. Do not edit: run the script.",
                "// Declared for gRPC server reflection only (nothing is generated from it).",
                'syntax = "proto3";',
                "",
                f"package {package};",
                "",
            ] + [f'import "{i}";' for i in imports] + ([""] if imports else [])
            files[file_of(package)] = "\n".join(head + body).rstrip() + "\n"
        return files


def file_of(package):
    parts = package.split(".")
    return "/".join(parts[:-1] + [parts[-1] + ".proto"])


def main():
    check = "--check" in sys.argv[1:]
    universe = Universe(crate_sources())
    methods = served_methods()
    wanted, found = service_methods(universe, methods)
    roots = []
    services = {}
    for path in methods:
        package, service, method = wanted[path]
        request, response = found[path]
        roots += [(package, request), (package, response)]
        services.setdefault(package, {}).setdefault(service, []).append((method, request, response))
    for name in ANY_CONTENTS:
        roots.append(universe.item_by_full_name(name))
    seen = collect(universe, roots)
    writer = Writer(universe, seen)
    # Two passes: the first records the imports the second writes.
    writer.files(services)
    files = writer.files(services)
    existing = {
        str(p.relative_to(OUT)): p.read_text()
        for p in OUT.rglob("*.proto")
    } if OUT.exists() else {}
    if check:
        if existing != files:
            stale = sorted(set(existing) ^ set(files) | {f for f in files if existing.get(f) != files[f]})
            fail(f"proto/described/ is not current ({', '.join(stale)}): run python3 proto/describe_cosmos.py")
        print(f"proto/described/ is current ({len(files)} files)")
        return
    for stale in set(existing) - set(files):
        (OUT / stale).unlink()
    for name, text in files.items():
        path = OUT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (OUT / "FILES").write_text("".join(f"{name}\n" for name in sorted(files)))
    print(f"wrote {len(files)} files to proto/described/")


if __name__ == "__main__":
    main()
