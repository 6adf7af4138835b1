"""What follows a password change, for one's own account page and the administration's."""

from pyramid.security import remember

from mediacaster.session import has_session


def keep_logged_in(request, user):
    """After ``user``'s password changed, the headers that keep the browser asking logged
    in when it is theirs: its session takes the new password's fingerprint (and a new id),
    while their other sessions, holding the old one, end."""
    if user.id != request.identity.user_id or not has_session(request):
        return []
    return remember(request, user.id)
