import NIOCore

/// Sits in front of the HTTP decoder and tells the guard when bytes arrive.
final class RawByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let guardian: ConnectionGuard

    init(_ guardian: ConnectionGuard) { self.guardian = guardian }

    /// Added to a channel that is already open (behind a TLS handler in a CONNECT tunnel): its
    /// deadlines start now, so a handshake that never finishes is closed like a silent client.
    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { guardian.connected(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        guardian.connected(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guardian.bytesArrived(context)
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        guardian.cancelAll()
        context.fireChannelInactive()
    }
}
