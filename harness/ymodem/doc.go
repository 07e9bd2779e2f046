// Package ymodem sends files to a serial receiver with XMODEM (128-byte
// blocks, checksum or CRC-16), XMODEM-1K and YMODEM batch, as bootloaders
// such as U-Boot's loadx/loady expect.
//
// Written from the protocol descriptions (Forsberg's ymodem.txt and the
// XMODEM documents) plus what U-Boot's receiver is known to do:
//
//   - The receiver starts the transfer: 'C' asks for CRC-16, NAK for the
//     8-bit checksum. 1024-byte blocks are only sent in CRC mode.
//   - Every block is answered: ACK moves on; NAK (and 'C', which U-Boot sends
//     in CRC mode after a bad block) asks for the block again; silence for the
//     ACK timeout does the same. After Retries retransmissions the sender gives
//     up and cancels.
//   - Two CANs in a row from the receiver cancel the transfer. When the sender
//     gives up (retries, context ended) it sends CAN CAN CAN so the receiver
//     stops too.
//   - EOT is answered with NAK then ACK by the spec, or with ACK at once by
//     U-Boot; both are accepted.
//   - YMODEM sends block 0 (name NUL decimal-size [octal mtime]) before each
//     file and an empty block 0 to end the batch. U-Boot does not send the
//     'C' the spec expects after block 0, so the sender waits only a short
//     grace for it and then starts the data anyway.
//
// The sender reads exactly one byte at a time from the port and never reads
// past the receiver's last answer, so the bootloader's output after the
// transfer is left for the console's Expect.
package ymodem
