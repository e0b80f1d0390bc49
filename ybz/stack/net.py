"""Ports and HTTP on 127.0.0.1: is a port taken, by whom, and plain GETs for readiness checks."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import psutil

from ybz.stack.config import HOST, StackError


def port_open(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def port_holder(port: int) -> str:
    """Best-effort description of who listens on a port (for error messages)."""
    try:
        listeners = [c for c in psutil.net_connections(kind="tcp")
                     if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port]
    except psutil.Error:
        return "an unknown process"
    for conn in listeners:
        if conn.pid is None:
            continue  # another user's socket, without root
        try:
            proc = psutil.Process(conn.pid)
            command = " ".join(proc.cmdline()) or proc.name()
        except psutil.Error:
            continue
        return f"pid {conn.pid}: {command[:160]}"
    return "a process of another user" if listeners else "an unknown process"


def ensure_port_free(name: str, port: int, env_var: str) -> None:
    if port_open(port):
        raise StackError(
            f"{name}: port {HOST}:{port} is already taken by another process "
            f"({port_holder(port)}). Stop it or choose another port with {env_var}=<port>."
        )


def http_get(url: str, timeout: float = 5.0, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
