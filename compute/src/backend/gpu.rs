//! The wgpu side: one device and queue, compute pipelines compiled once per kernel entry point,
//! storage buffers recycled by size class, and a small dispatch API (upload, alloc, dispatch,
//! read) that kernels chain without going back to the host between passes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wgpu::util::DeviceExt;

/// A WGSL entry point. Binding 0 of group 0 is a uniform of parameters; bindings 1.. are storage
/// buffers in the order a dispatch passes them.
#[derive(Debug, Clone, Copy)]
pub struct Kernel {
    pub name: &'static str,
    pub source: &'static str,
    pub entry: &'static str,
}

type Recycled = Arc<Mutex<HashMap<u64, Vec<wgpu::Buffer>>>>;

/// A device buffer; it goes back to the pool when dropped.
pub struct Buf {
    buffer: Option<wgpu::Buffer>,
    /// Bytes in use (the buffer itself may be larger).
    pub len: u64,
    pool: Recycled,
}

impl Buf {
    fn raw(&self) -> &wgpu::Buffer {
        self.buffer.as_ref().unwrap_or_else(|| unreachable!("taken only on drop"))
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        if let (Some(b), Ok(mut pool)) = (self.buffer.take(), self.pool.lock()) {
            pool.entry(b.size()).or_default().push(b);
        }
    }
}

pub struct Gpu {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    pipelines: Mutex<HashMap<(&'static str, &'static str), Arc<wgpu::ComputePipeline>>>,
    pool: Recycled,
}

impl std::fmt::Debug for Gpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Gpu({})", self.info.name)
    }
}

impl Gpu {
    /// The best adapter wgpu finds, with its own limits; an error (not a panic) when none.
    pub fn new() -> Result<Gpu, String> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let options = wgpu::RequestAdapterOptions { power_preference: wgpu::PowerPreference::HighPerformance, ..Default::default() };
        let adapter = pollster::block_on(instance.request_adapter(&options)).map_err(|e| format!("no GPU adapter ({e})"))?;
        let limits = adapter.limits();
        let desc = wgpu::DeviceDescriptor { label: Some("pipec"), required_limits: limits.clone(), ..Default::default() };
        let (device, queue) = pollster::block_on(adapter.request_device(&desc)).map_err(|e| format!("cannot open the GPU: {e}"))?;
        Ok(Gpu { device, queue, info: adapter.get_info(), limits, pipelines: Mutex::default(), pool: Recycled::default() })
    }

    pub fn name(&self) -> String {
        format!("{} via {:?}", self.info.name, self.info.backend)
    }

    /// A CPU-emulated adapter (llvmpipe, WARP, SwiftShader): fine for tests, not for speed.
    pub fn is_software(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    /// The largest storage binding, in bytes: kernels chunk their inputs to fit.
    pub fn max_binding(&self) -> u64 {
        self.limits.max_storage_buffer_binding_size.min(self.limits.max_buffer_size)
    }

    pub fn max_groups(&self) -> u32 {
        self.limits.max_compute_workgroups_per_dimension
    }

    fn buffer(&self, len: u64) -> Buf {
        let size = len.max(16).next_power_of_two().min(self.limits.max_buffer_size.max(len));
        let recycled = self.pool.lock().ok().and_then(|mut p| p.get_mut(&size)?.pop());
        let buffer = recycled.unwrap_or_else(|| {
            self.device.create_buffer(&wgpu::BufferDescriptor { label: None, size, usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST, mapped_at_creation: false })
        });
        Buf { buffer: Some(buffer), len, pool: self.pool.clone() }
    }

    /// A device buffer holding `data`.
    pub fn upload<T: bytemuck::Pod>(&self, data: &[T]) -> Buf {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        let buf = self.buffer(bytes.len() as u64);
        if !bytes.is_empty() {
            self.queue.write_buffer(buf.raw(), 0, bytes);
        }
        buf
    }

    /// A device buffer of `len` bytes with undefined contents (kernels overwrite it).
    pub fn alloc(&self, len: u64) -> Buf {
        self.buffer(len)
    }

    fn pipeline(&self, k: &Kernel) -> Arc<wgpu::ComputePipeline> {
        let mut cache = self.pipelines.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry((k.name, k.entry))
            .or_insert_with(|| {
                let module = self.device.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some(k.name), source: wgpu::ShaderSource::Wgsl(k.source.into()) });
                Arc::new(self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor { label: Some(k.entry), layout: None, module: &module, entry_point: Some(k.entry), compilation_options: Default::default(), cache: None }))
            })
            .clone()
    }

    /// Run `k` over `groups` workgroups with `params` (a `#[repr(C)]` struct, 16-byte multiple)
    /// at binding 0 and `bufs` at bindings 1.. . Queued; `read` waits for it.
    pub fn dispatch<P: bytemuck::Pod>(&self, k: &Kernel, params: &P, bufs: &[&Buf], groups: [u32; 3]) {
        let pipeline = self.pipeline(k);
        let uniform = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: None, contents: bytemuck::bytes_of(params), usage: wgpu::BufferUsages::UNIFORM });
        let mut entries = vec![wgpu::BindGroupEntry { binding: 0, resource: uniform.as_entire_binding() }];
        for (i, b) in bufs.iter().enumerate() {
            let size = wgpu::BufferSize::new(b.len.max(4).next_multiple_of(4));
            entries.push(wgpu::BindGroupEntry { binding: i as u32 + 1, resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding { buffer: b.raw(), offset: 0, size }) });
        }
        let group = self.device.create_bind_group(&wgpu::BindGroupDescriptor { label: None, layout: &pipeline.get_bind_group_layout(0), entries: &entries });
        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(k.entry), timestamp_writes: None });
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &group, &[]);
            pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
        }
        self.queue.submit([encoder.finish()]);
    }

    /// Copy a buffer back to the host, once everything queued before has run.
    pub fn read<T: bytemuck::Pod>(&self, buf: &Buf) -> Result<Vec<T>, String> {
        let len = buf.len.next_multiple_of(4);
        if len == 0 {
            return Ok(Vec::new());
        }
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor { label: None, size: len, usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST, mapped_at_creation: false });
        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        encoder.copy_buffer_to_buffer(buf.raw(), 0, &staging, 0, len);
        self.queue.submit([encoder.finish()]);
        let (tx, rx) = std::sync::mpsc::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| format!("the GPU stopped: {e}"))?;
        rx.recv().map_err(|e| e.to_string())?.map_err(|e| format!("cannot read back from the GPU: {e}"))?;
        let out = {
            let view = staging.slice(..).get_mapped_range().map_err(|e| e.to_string())?;
            bytemuck::cast_slice::<u8, T>(&view[..buf.len as usize]).to_vec()
        };
        staging.unmap();
        Ok(out)
    }
}

/// Run `f` on row ranges of at most `per` rows (what one binding holds) and join the results.
pub fn by_rows<T>(rows: usize, per: usize, mut f: impl FnMut(usize, usize) -> Result<Vec<T>, String>) -> Result<Vec<T>, String> {
    let mut out = Vec::new();
    for r0 in (0..rows).step_by(per.max(1)) {
        out.extend(f(r0, (r0 + per.max(1)).min(rows))?);
    }
    Ok(out)
}

/// Workgroups needed for `n` items at `per` items per group, as a 2-D grid when one dimension is
/// not enough (kernels fold `id.x + id.y * stride`).
pub fn grid(n: u64, per: u64, max: u32) -> [u32; 3] {
    let groups = n.div_ceil(per).max(1);
    if groups <= max as u64 { [groups as u32, 1, 1] } else { [max, groups.div_ceil(max as u64) as u32, 1] }
}
