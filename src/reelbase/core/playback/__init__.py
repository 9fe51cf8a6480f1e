"""playback"""
