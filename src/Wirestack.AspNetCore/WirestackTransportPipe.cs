using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace Wirestack.AspNetCore;

/// <summary>
/// The connection's duplex pipe as Kestrel's transport: the pipe's reader and writer behind
/// <see cref="WirestackTransportPipeReader"/> and <see cref="WirestackTransportPipeWriter"/>, which pass buffers through
/// untouched and only translate a failed read or flush into the exceptions Kestrel treats as a connection going away.
/// </summary>
internal sealed class WirestackTransportPipe(IDuplexPipe pipe, WirestackConnectionContext context) : IDuplexPipe
{
    public PipeReader Input { get; } = new WirestackTransportPipeReader(pipe.Input, context);

    public PipeWriter Output { get; } = new WirestackTransportPipeWriter(pipe.Output, context);
}
