"""Queues in the database: made, read and changed; nothing of devices or HTTP.

A queue holds its items in the order they were added (``number``) and the order
they play in (``order``: their numbers, shuffled or not); ``position`` is the
place in that order of the item playing. One queue per user and device: a new
one replaces the last.
"""

import random
from datetime import datetime, timezone

from sqlalchemy import delete, select

from mediacaster import bytenames
from mediacaster.models.queues import REPEAT_MODES, Queue, QueueItem

# The states of a queue this app still plays: "waiting" while its device does not answer.
FOLLOWING = ("playing", "waiting")


class QueueError(ValueError):
    """A change a queue cannot take: the message says why."""


def make(session, user_id, device, files, start=0, shuffle=False, repeat="off", app_url=None, rng=random):
    """A new queue of ``files`` (``[(root, path)]``) for ``device`` (its id and name),
    starting with file ``start``, its URLs made from ``app_url``; the user's last queue on
    that device goes."""
    if not files:
        raise QueueError("nothing to play: no video or audio file was given")
    if not 0 <= start < len(files):
        raise QueueError(f"start must be from 0 to {len(files) - 1}")
    check_repeat(repeat)
    session.execute(delete(Queue).where(Queue.user_id == user_id, Queue.device_id == device.id))
    queue = Queue(
        user_id=user_id,
        device_id=device.id,
        device_name=device.name,
        order=list(range(len(files))),
        position=start,
        shuffle=False,
        repeat=repeat,
        state="playing",
        app_url=app_url,
        items=[
            QueueItem(number=n, root=root, path=bytenames.encode(path))
            for n, (root, path) in enumerate(files)
        ],
    )
    if shuffle:
        set_shuffle(queue, True, rng)
    session.add(queue)
    session.flush()
    return queue


def current(session, user_id, device_id):
    """The user's queue on the device, or None."""
    return session.scalar(
        select(Queue).where(Queue.user_id == user_id, Queue.device_id == device_id).order_by(Queue.id.desc())
    )


def playing_on(session, device_id):
    """The queue this app plays on the device (or waits to play on, the device not
    answering), whoever started it, or None."""
    return session.scalar(
        select(Queue)
        .where(Queue.device_id == device_id, Queue.state.in_(FOLLOWING))
        .order_by(Queue.id.desc())
    )


def others_playing(session, queue):
    """The other queues this app plays on the same device: another queue takes it over."""
    return session.scalars(
        select(Queue).where(
            Queue.device_id == queue.device_id, Queue.id != queue.id, Queue.state.in_(FOLLOWING)
        )
    ).all()


def item_at(queue, position):
    return queue.items[queue.order[position]]


def path_of(item):
    return bytenames.decode(item.path)


def following(queue, position, moving_on=False):
    """The place that plays after ``position``, by the repeat mode (``moving_on``: "next"
    was asked, or the item was skipped: repeating one moves on all the same); None: the end."""
    if queue.repeat == "one" and not moving_on:
        return position
    if position + 1 < len(queue.order):
        return position + 1
    return 0 if queue.repeat == "all" else None


def preceding(queue, position):
    if position > 0:
        return position - 1
    return len(queue.order) - 1 if queue.repeat == "all" else None


def check_repeat(mode):
    if mode not in REPEAT_MODES:
        raise QueueError(f"repeat is one of {', '.join(REPEAT_MODES)}")
    return mode


def set_shuffle(queue, on, rng=random):
    """Shuffle what comes after the item playing, or put it back in the order added."""
    playing = queue.order[queue.position]
    rest = [n for n in range(len(queue.items)) if n != playing]
    if on:
        rng.shuffle(rest)
        queue.order, queue.position = [playing, *rest], 0
    else:
        queue.order, queue.position = list(range(len(queue.items))), playing
    queue.shuffle = on
    touch(queue)


def add(queue, files, next_up=False):
    """Add ``files`` at the end, or (``next_up``) right after the item playing."""
    numbers = []
    for root, path in files:
        numbers.append(len(queue.items))
        queue.items.append(QueueItem(number=len(queue.items), root=root, path=bytenames.encode(path)))
    at = queue.position + 1 if next_up else len(queue.order)
    queue.order = [*queue.order[:at], *numbers, *queue.order[at:]]
    touch(queue)
    return numbers


def touch(queue, state=None):
    if state is not None:
        queue.state = state
    queue.updated_at = datetime.now(timezone.utc)
