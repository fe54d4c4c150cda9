using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace Wirestack.AspNetCore;

/// <summary>
/// The connection's duplex pipe as Kestrel's transport: the output is the pipe's own writer; the input is the pipe's
/// reader behind <see cref="WirestackTransportPipeReader"/>, which passes buffers through untouched and only
/// translates a failed read into the exceptions Kestrel treats as a connection going away.
/// </summary>
internal sealed class WirestackTransportPipe(IDuplexPipe pipe, WirestackConnectionContext context) : IDuplexPipe
{
    public PipeReader Input { get; } = new WirestackTransportPipeReader(pipe.Input, context);

    public PipeWriter Output { get; } = pipe.Output;
}
