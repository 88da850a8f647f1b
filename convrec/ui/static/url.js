(thread) => {
  if (thread) {
    const url = new URL(window.location.href);
    url.searchParams.set("thread", thread);
    window.history.replaceState(null, "", url);
  }
  return [];
}
