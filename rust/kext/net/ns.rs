// SPDX-License-Identifier: GPL-2.0
//! Network namespaces: counted references, and a map of objects bound to a
//! namespace they do not keep alive, purged when the namespace exits.

use super::super::super::bindings;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KVec};
use kernel::error::{code::EBUSY, to_result, Error, Result};
use kernel::new_mutex;
use kernel::sync::{Arc, Mutex};
use kernel::types::Opaque;
use pin_init::{pin_data, pinned_drop, PinInit};

/// A counted reference to a network namespace (`get_net`/`put_net`).
pub struct Net(NonNull<bindings::net>);

// SAFETY: a counted namespace reference may be used and dropped from any
// thread; `put_net` may be called in any context (it defers the cleanup).
unsafe impl Send for Net {}
// SAFETY: as above; `&Net` only reads immutable identity fields.
unsafe impl Sync for Net {}

impl Net {
    /// The calling task's network namespace.
    pub fn current() -> Self {
        // SAFETY: a task always has a namespace proxy with a valid
        // namespace; the helper takes a reference on it.
        let p = unsafe { bindings::smb_helper_current_net() };
        // INVARIANT: `p` is non-NULL and counted.
        Self(NonNull::new(p).expect("current task without a network namespace"))
    }

    /// The initial network namespace.
    pub fn init() -> Self {
        // SAFETY: `init_net` is a static that lives forever; take a counted
        // reference on it like on any other.
        let p = unsafe { bindings::smb_helper_get_net(&raw mut bindings::init_net) };
        Self(NonNull::new(p).expect("init_net"))
    }

    /// Takes a counted reference on the namespace at `p`.
    ///
    /// # Safety
    ///
    /// `p` points to a live namespace on which the caller holds a reference
    /// for the duration of the call.
    pub unsafe fn from_raw_get(p: *mut bindings::net) -> Self {
        // SAFETY: the caller guarantees `p` is live.
        let p = unsafe { bindings::smb_helper_get_net(p) };
        Self(NonNull::new(p).expect("NULL namespace"))
    }

    /// The raw pointer, for calls that take a `struct net *`.
    pub fn as_ptr(&self) -> *mut bindings::net {
        self.0.as_ptr()
    }

    /// The index of the interface called `name` here (an IPv6 scope
    /// given by name); `ENODEV` if there is none.
    pub fn ifindex(&self, name: &kernel::str::CStr) -> Result<u32> {
        // SAFETY: the namespace is alive; `name` is NUL-terminated.
        let r = unsafe {
            bindings::smb_helper_ifindex(self.as_ptr(), kernel::str::CStrExt::as_char_ptr(name))
        };
        u32::try_from(r).map_err(|_| Error::from_errno(r))
    }

    /// The namespace's cookie: unique for the system's lifetime, unlike its
    /// address, which a later namespace may reuse.
    pub fn cookie(&self) -> u64 {
        // SAFETY: the namespace is alive (we hold a reference).
        unsafe { bindings::smb_helper_net_cookie(self.as_ptr()) }
    }
}

impl Clone for Net {
    fn clone(&self) -> Self {
        // SAFETY: the namespace is alive; this takes another reference.
        unsafe { bindings::smb_helper_get_net(self.as_ptr()) };
        Self(self.0)
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        // SAFETY: we own one reference.
        unsafe { bindings::smb_helper_put_net(self.as_ptr()) };
    }
}

impl PartialEq for Net {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for Net {}

/// Objects with an exit action for when their namespace goes away.
pub trait NetBound: Send + Sync + Sized + 'static {
    /// Called, in process context (the netns cleanup worker), for each
    /// object of a namespace that is exiting, after it has been removed
    /// from the map. The object can no longer obtain its namespace.
    fn net_exit(this: &Arc<Self>);
}

struct Entry<V> {
    /// Not counted: valid while the namespace's pernet exit has not run,
    /// which the map's lock and purge guarantee (see [`NetMap`]).
    net: *mut bindings::net,
    cookie: u64,
    value: Arc<V>,
}

// SAFETY: the raw pointer is only dereferenced (upgraded) under the map's
// lock, which excludes the purge that invalidates it.
unsafe impl<V: Send + Sync> Send for Entry<V> {}

/// A set of objects, each bound to a network namespace without holding a
/// reference on it: the namespace may exit while objects of it exist.
/// When it does, a pernet exit hook removes its objects from the map and
/// calls [`NetBound::net_exit`] for each.
///
/// While an object is in the map, [`NetMap::net_of`] can turn its
/// namespace into a counted [`Net`] if the namespace is still alive; this
/// is sound because the exit hook takes the map's lock before the
/// namespace can be freed, and purges every entry of it.
///
/// A module may have one `NetMap` at a time (the exit hook is module-wide);
/// a second one fails with `EBUSY`.
#[pin_data(PinnedDrop)]
pub struct NetMap<V: NetBound> {
    #[pin]
    entries: Mutex<KVec<Entry<V>>>,
    #[pin]
    ops: Opaque<bindings::pernet_operations>,
}

// SAFETY: the pernet ops are only touched by the netns core after
// registration; the entries are behind a mutex; `V` is `Send + Sync`.
unsafe impl<V: NetBound> Send for NetMap<V> {}
// SAFETY: as above: every access through `&NetMap` locks the mutex.
unsafe impl<V: NetBound> Sync for NetMap<V> {}

/// The exit function of a registered map's type.
struct ExitVTable {
    exit: unsafe fn(*const core::ffi::c_void, *mut bindings::net),
}

struct ExitHook<V>(core::marker::PhantomData<V>);

impl<V: NetBound> ExitHook<V> {
    const VTABLE: ExitVTable = ExitVTable {
        exit: exit_impl::<V>,
    };
}

/// The module's registered map and its exit function.
static EXIT_CTX: AtomicPtr<core::ffi::c_void> = AtomicPtr::new(core::ptr::null_mut());
static EXIT_VTABLE: AtomicPtr<ExitVTable> = AtomicPtr::new(core::ptr::null_mut());

/// The pernet `exit` callback: forwards to the registered map.
///
/// # Safety
///
/// Called by the netns core only, with a namespace being dismantled.
unsafe extern "C" fn pernet_exit_callback(net: *mut bindings::net) {
    let ctx = EXIT_CTX.load(Ordering::Acquire);
    let vtable = EXIT_VTABLE.load(Ordering::Acquire);
    if ctx.is_null() || vtable.is_null() {
        return;
    }
    // SAFETY: `EXIT_VTABLE` points to the `'static` table of the map type
    // at `ctx`; both are set before registration and cleared only after
    // unregistration returned, so the map at `ctx` is registered and alive
    // (it unregisters in its drop before its memory goes away).
    unsafe { ((*vtable).exit)(ctx, net) };
}

/// # Safety
///
/// `ctx` points to a live, registered `NetMap<V>`.
unsafe fn exit_impl<V: NetBound>(ctx: *const core::ffi::c_void, net: *mut bindings::net) {
    // SAFETY: guaranteed by the caller.
    let map = unsafe { &*ctx.cast::<NetMap<V>>() };
    map.purge(net);
}

impl<V: NetBound> NetMap<V> {
    /// Creates the map and registers its pernet exit hook.
    pub fn new() -> impl PinInit<Self, Error> {
        kernel::try_pin_init!(&this in Self {
            entries <- new_mutex!(KVec::new(), "NetMap::entries"),
            ops <- Opaque::try_ffi_init(move |slot: *mut bindings::pernet_operations| {
                if EXIT_CTX
                    .compare_exchange(
                        core::ptr::null_mut(),
                        this.as_ptr().cast(),
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    )
                    .is_err()
                {
                    return Err(EBUSY);
                }
                let vtable: &'static ExitVTable = &ExitHook::<V>::VTABLE;
                EXIT_VTABLE.store(core::ptr::from_ref(vtable).cast_mut(), Ordering::Release);
                // SAFETY: `slot` is pinned storage for the ops; zero is a
                // valid initial value for every other field (no per-net
                // data, no init). The map (and so the ops) outlives the
                // registration: it unregisters in its drop.
                let r = unsafe {
                    core::ptr::write_bytes(slot, 0, 1);
                    (*slot).exit = Some(pernet_exit_callback);
                    bindings::register_pernet_subsys(slot)
                };
                if r != 0 {
                    EXIT_VTABLE.store(core::ptr::null_mut(), Ordering::Release);
                    EXIT_CTX.store(core::ptr::null_mut(), Ordering::Release);
                }
                to_result(r)
            }),
        })
    }

    /// Adds `value`, bound to `net`.
    pub fn insert(&self, net: &Net, value: Arc<V>) -> Result {
        let mut entries = self.entries.lock();
        entries.push(
            Entry {
                net: net.as_ptr(),
                cookie: net.cookie(),
                value,
            },
            GFP_KERNEL,
        )?;
        Ok(())
    }

    /// Removes `value`; returns whether it was there.
    pub fn remove(&self, value: &Arc<V>) -> bool {
        let mut entries = self.entries.lock();
        let pos = entries.iter().position(|e| Arc::ptr_eq(&e.value, value));
        match pos {
            Some(i) => {
                let _ = entries.remove(i);
                true
            }
            None => false,
        }
    }

    /// Runs `cond` under the map's lock and, if it returns true, removes
    /// `value` (if present). Returns `cond`'s answer. For reference counts
    /// that lookups through [`NetMap::find`] also change under the lock.
    pub fn remove_if(&self, value: &Arc<V>, cond: impl FnOnce() -> bool) -> bool {
        let mut entries = self.entries.lock();
        if !cond() {
            return false;
        }
        if let Some(i) = entries.iter().position(|e| Arc::ptr_eq(&e.value, value)) {
            let _ = entries.remove(i);
        }
        true
    }

    /// The first object of `net` (compared by cookie) for which `pred`
    /// holds.
    pub fn find(&self, net: &Net, mut pred: impl FnMut(&Arc<V>) -> bool) -> Option<Arc<V>> {
        let cookie = net.cookie();
        let entries = self.entries.lock();
        entries
            .iter()
            .find(|e| e.cookie == cookie && pred(&e.value))
            .map(|e| e.value.clone())
    }

    /// A counted reference to `value`'s namespace, if `value` is in the map
    /// and its namespace is still alive.
    pub fn net_of(&self, value: &Arc<V>) -> Option<Net> {
        let entries = self.entries.lock();
        let e = entries.iter().find(|e| Arc::ptr_eq(&e.value, value))?;
        // SAFETY: the entry is in the map, so the namespace's exit hook has
        // not purged it, and cannot while we hold the lock: the namespace
        // memory is valid. `maybe_get_net` fails if it is already dying.
        let p = unsafe { bindings::smb_helper_maybe_get_net(e.net) };
        NonNull::new(p).map(Net)
    }

    /// Number of objects in the map.
    pub fn len(&self) -> usize {
        self.entries.lock().len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn purge(&self, net: *mut bindings::net) {
        // One entry at a time: take it out under the lock, run its exit
        // action without the lock (it may take its own locks, and must not
        // need this one). No entry of `net` can be added meanwhile: adding
        // takes a counted `Net`, which an exiting namespace cannot give.
        loop {
            let gone = {
                let mut entries = self.entries.lock();
                match entries.iter().position(|e| e.net == net) {
                    Some(i) => entries.remove(i).ok().map(|e| e.value),
                    None => None,
                }
            };
            match gone {
                Some(v) => V::net_exit(&v),
                None => break,
            }
        }
    }
}

#[pinned_drop]
impl<V: NetBound> PinnedDrop for NetMap<V> {
    fn drop(self: core::pin::Pin<&mut Self>) {
        // SAFETY: the ops were registered by `new` (the map exists only if
        // registration succeeded). Unregistering waits for running exit
        // callbacks to finish.
        unsafe { bindings::unregister_pernet_subsys(self.ops.get()) };
        EXIT_VTABLE.store(core::ptr::null_mut(), Ordering::Release);
        EXIT_CTX.store(core::ptr::null_mut(), Ordering::Release);
    }
}
